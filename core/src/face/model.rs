//! Loading the prepared face models into tract.
//!
//! Apps ship each model as tract's NNEF archive, written at build time by
//! `models/prepare` (run by `models/fetch.sh`; ADR 0013): the ONNX front end and protobuf
//! stay on the build machine, and the app library carries tract-core and tract-nnef only.
//! The archive's graph takes the image and then each int8 weight as inputs; the weights
//! themselves are in the archive under `int8/`. Loading puts them back as constants and
//! evaluates their dequantization (`(q − zero_point) · scale`, per block) once — the same
//! single rounding as ONNX Runtime — then optimises the graph for the one input shape it
//! was prepared for.

use std::collections::HashMap;
use std::sync::Arc;

use tract_linalg::multithread::{multithread_tract_scope, Executor};
use tract_nnef::internal::{DatLoader, GraphNnefLoader, Identifier, Registry, ResourceLoader, TypeName, Value};
use tract_nnef::prelude::*;
use tract_nnef::tract_core::ops::konst::Const;

use super::FaceError;

/// Where a prepared archive keeps the int8 weights its graph takes as inputs.
const INT8_DIR: &str = "int8";

/// A prepared model loaded into tract. Also the way to bring another model — e.g. a
/// passive [`super::liveness::PresentationAttackDetector`] — to the phone.
/// Clones share the loaded plan (one copy of the weights).
#[derive(Clone)]
pub struct Model {
    plan: Arc<TypedSimplePlan>,
    input_shape: Vec<usize>,
    executor: Executor,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("input_shape", &self.input_shape).finish_non_exhaustive()
    }
}

impl Model {
    /// Read a prepared archive (`*.nnef.tar` from `models/fetch.sh`), restore and fold its
    /// int8 weights, and optimise it. Runs on the calling thread until
    /// `Model::set_threads` (feature `parallel`).
    pub fn load(bytes: &[u8]) -> Result<Self, FaceError> {
        let (plan, input_shape) = load(bytes)?;
        Ok(Self { plan, input_shape, executor: Executor::SingleThread })
    }

    /// Split the matrix products of each run across a private pool of `threads` threads
    /// (1: the caller's thread only).
    #[cfg(feature = "parallel")]
    pub fn set_threads(&mut self, threads: usize) -> Result<(), FaceError> {
        self.executor = if threads <= 1 {
            Executor::SingleThread
        } else {
            let pool = rayon::ThreadPoolBuilder::new()
                .thread_name(|n| format!("idwallet-face-{n}"))
                .num_threads(threads)
                .build()
                .map_err(|_| bad("cannot start the inference threads"))?;
            Executor::MultiThread(Arc::new(pool))
        };
        Ok(())
    }

    /// The input shape the model was prepared for.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Run on `input` (row-major, [`Model::input_shape`]); every output flattened.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, FaceError> {
        let input = Tensor::from_shape(&self.input_shape, &input).map_err(|_| FaceError::Inference)?;
        let out = multithread_tract_scope(self.executor.clone(), || self.plan.run(tvec!(input.into())))
            .map_err(|_| FaceError::Inference)?;
        out.iter().map(to_vec).collect()
    }
}

/// `image` as the planar BGR 0..255 input YuNet and SFace take (they normalise inside the
/// graph), placed top-left in a `size`×`size` square of zeros.
pub(crate) fn bgr_planes(image: &image::RgbImage, size: usize) -> Vec<f32> {
    let mut input = vec![0.0f32; 3 * size * size];
    for (x, y, p) in image.enumerate_pixels().filter(|(x, y, _)| (*x as usize) < size && (*y as usize) < size) {
        for c in 0..3 {
            input[(c * size + y as usize) * size + x as usize] = f32::from(p[2 - c]);
        }
    }
    input
}

fn bad(what: &'static str) -> FaceError {
    FaceError::BadModel { what }
}

/// An output tensor's values.
fn to_vec(t: &TValue) -> Result<Vec<f32>, FaceError> {
    Ok(t.to_plain_array_view::<f32>().map_err(|_| FaceError::Inference)?.iter().copied().collect())
}

/// Read, restore the weights, fold, optimise.
fn load(bytes: &[u8]) -> Result<(Arc<TypedSimplePlan>, Vec<usize>), FaceError> {
    let nnef = framework();
    let mut proto = nnef.proto_model_for_read(&mut &*bytes).map_err(|_| bad("not a prepared model (NNEF archive)"))?;
    let mut model = nnef.model_for_proto_model(&proto).map_err(|_| bad("tract cannot build the graph"))?;
    restore_weights(&mut model, &mut proto.tensors)?;
    // The archive's copy of every weight: free it before tract optimises (which makes its
    // own packed copy), or peak memory holds three.
    drop(proto);
    fold_constants(&mut model).map_err(|_| bad("the weights cannot be dequantized"))?;
    let input_shape = model
        .input_fact(0)
        .ok()
        .and_then(|f| f.shape.as_concrete().map(<[usize]>::to_vec))
        .ok_or(bad("the input shape is not fixed"))?;
    let plan =
        model.optimize().and_then(|()| model.into_runnable()).map_err(|_| bad("tract cannot optimise the graph"))?;
    Ok((plan, input_shape))
}

/// tract's NNEF reader with the standard operators and [`tract_core_subset`]. Built field
/// by field: `tract_nnef::nnef()` constructs the full `tract_core` registry (dropping it
/// afterwards still links every operator it names).
fn framework() -> tract_nnef::framework::Nnef {
    tract_nnef::framework::Nnef {
        stdlib: tract_nnef::framework::stdlib(),
        registries: vec![tract_nnef::ops::tract_nnef(), tract_core_subset()],
        resource_loaders: vec![GraphNnefLoader.into_boxed(), DatLoader.into_boxed()],
        allow_extended_identifier_syntax: false,
        extern_all_constants: false,
    }
}

/// The operators of tract's `tract_core` extension the prepared archives use: the cast of
/// the int8 weights, the int8 inputs they are declared as, and Iris's `nearest_upsample`
/// (which tract takes from this extension, not from the NNEF standard library). tract's full extension
/// registers every tract-core operator (FFT, STFT, recurrent, scan…), which makes all of
/// them — and rustfft — reachable in the app library; an archive using another one is
/// refused as unreadable. (Same parameters and semantics as tract-nnef's own loaders.)
fn tract_core_subset() -> Registry {
    let mut registry = Registry::new("tract_core");
    registry.register_primitive(
        "tract_core_cast",
        &[TypeName::Scalar.tensor().named("input"), TypeName::String.named("to")],
        &[("output", TypeName::Scalar.tensor())],
        |builder, invocation| {
            let input = invocation.named_arg_as(builder, "input")?;
            let to: DatumType = invocation.named_arg_as::<String>(builder, "to")?.parse()?;
            builder.wire(tract_nnef::tract_core::ops::cast::Cast { to }, &[input])
        },
    );
    registry.register_primitive(
        "tract_core_external",
        &[TypeName::String.named("datum_type"), TypeName::Integer.array().named("shape")],
        &[("output", TypeName::Any.tensor())],
        |builder, invocation| {
            let shape: TVec<usize> = invocation.named_arg_as(builder, "shape")?;
            let dt: DatumType = invocation.named_arg_as::<String>(builder, "datum_type")?.parse()?;
            Ok(Value::Wire(builder.model.add_source("", dt.fact(&*shape))?))
        },
    );
    registry.register_primitive(
        "nearest_upsample",
        &[TypeName::Scalar.tensor().named("input"), TypeName::Integer.array().named("factor")],
        &[("output", TypeName::Scalar.tensor())],
        |builder, invocation| {
            let input: OutletId = invocation.named_arg_as(builder, "input")?;
            let factor: TVec<usize> = invocation.named_arg_as(builder, "factor")?;
            // The factors are the trailing (spatial) axes'; the leading ones stay.
            let rank = builder.model.outlet_fact(input)?.rank();
            let lead =
                rank.checked_sub(factor.len()).ok_or_else(|| TractError::msg("more upsample factors than axes"))?;
            let scales = std::iter::repeat_n(1, lead).chain(factor).collect();
            builder.wire(tract_nnef::tract_core::ops::nn::resize::NearestUpsample { scales }, &[input])
        },
    );
    registry
}

/// Replace every graph input after the image by its int8 tensor from the archive.
fn restore_weights(model: &mut TypedModel, tensors: &mut HashMap<Identifier, Arc<Tensor>>) -> Result<(), FaceError> {
    let inputs = model.input_outlets().map_err(|_| bad("no inputs"))?.to_vec();
    let (image, weights) = inputs.split_first().ok_or(bad("no inputs"))?;
    let mut patch = TypedModelPatch::default();
    for outlet in weights {
        let name = &model.node(outlet.node).name;
        let weight = tensors.remove(&Identifier(format!("{INT8_DIR}/{name}"))).ok_or(bad("a weight is missing"))?;
        let konst = patch.add_const(name, weight).map_err(|_| bad("a weight is unusable"))?;
        patch.shunt_outside(model, *outlet, konst).map_err(|_| bad("a weight has the wrong type or shape"))?;
    }
    patch.apply(model).map_err(|_| bad("the weights cannot be restored"))?;
    model.set_input_outlets(&[*image]).map_err(|_| bad("no inputs"))?;
    Ok(())
}

/// Evaluate once every node whose inputs are all constants — the weights' dequantization —
/// and hand what the rest of the graph reads to it as constants. tract's own constant
/// propagation skips a fold that grows past 4 MiB, which the int8 → f32 cast of SFace's
/// large weights does; left unfolded, each run would dequantize them again. A value is
/// dropped as soon as its last reader has run, so the load holds few f32 copies at once.
fn fold_constants(model: &mut TypedModel) -> TractResult<()> {
    let outputs: std::collections::HashSet<OutletId> = model.output_outlets()?.iter().copied().collect();
    let mut readers: HashMap<OutletId, usize> = HashMap::new();
    for node in &model.nodes {
        for input in &node.inputs {
            *readers.entry(*input).or_default() += 1;
        }
    }
    let mut values: HashMap<OutletId, TValue> = HashMap::new();
    let mut frontier: Vec<(OutletId, TValue)> = Vec::new();
    for id in model.eval_order()? {
        let node = &model.nodes[id];
        if let Some(konst) = node.op_as::<Const>() {
            values.insert(OutletId::new(id, 0), konst.val().clone().into_tvalue());
            continue;
        }
        let foldable = !node.inputs.is_empty() && node.inputs.iter().all(|i| values.contains_key(i));
        if !foldable {
            // It reads the image: it stays, and the constants it reads become the graph's.
            for input in &node.inputs {
                let Some(value) = values.get(input) else { continue };
                if !model.node(input.node).op_is::<Const>() {
                    frontier.push((*input, value.clone()));
                }
                release(&mut values, &mut readers, &outputs, input);
            }
            continue;
        }
        // The value this node reads last is moved, not shared, so a reshape or an
        // element-wise op can reuse its buffer instead of copying the weights. (What is left
        // constant in a prepared archive is the weights' dequantization, stateless: a node
        // that cannot be evaluated makes the archive unreadable.)
        let mut inputs = TVec::new();
        for input in &node.inputs {
            let last = readers[input] == 1 && !outputs.contains(input);
            inputs.push(if last { values.remove(input) } else { values.get(input).cloned() }.expect("checked above"));
            release(&mut values, &mut readers, &outputs, input);
        }
        let results = node
            .op
            .eval_out_of_plan(inputs)?
            .ok_or_else(|| tract_nnef::internal::anyhow!("a constant sub-graph keeps state"))?;
        for (slot, value) in results.into_iter().enumerate() {
            let outlet = OutletId::new(id, slot);
            if outputs.contains(&outlet) {
                frontier.push((outlet, value.clone()));
            }
            values.insert(outlet, value);
        }
    }
    frontier.sort_by_key(|(o, _)| (o.node, o.slot));
    frontier.dedup_by_key(|(o, _)| *o);
    let mut patch = TypedModelPatch::default();
    for (outlet, value) in frontier {
        let name = format!("{}.folded.{}", model.node(outlet.node).name, outlet.slot);
        let konst = patch.add_const(name, value.into_arc_tensor())?;
        patch.shunt_outside(model, outlet, konst)?;
    }
    patch.apply(model)?;
    model.compact()
}

/// One reader of `outlet` has run: forget its value after the last, unless the graph
/// returns it.
fn release(
    values: &mut HashMap<OutletId, TValue>,
    readers: &mut HashMap<OutletId, usize>,
    outputs: &std::collections::HashSet<OutletId>,
    outlet: &OutletId,
) {
    let left = readers.get_mut(outlet).expect("counted above");
    *left -= 1;
    if *left == 0 && !outputs.contains(outlet) {
        values.remove(outlet);
    }
}
