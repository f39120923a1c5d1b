//! Loading ONNX models from bytes into tract.
//!
//! YuNet and SFace ship as small int8 files whose weights are block-quantized
//! `DequantizeLinear` nodes (opset 21), which tract does not load. Apps ship those small
//! files, so we fold the constant `DequantizeLinear` nodes — and the constant `Reshape`s
//! after them — into f32 initializers here, at load time, then hand the rewritten graph
//! to tract. `y = (x − zero_point) · scale`, with the scale of each element's block along
//! `axis`: exactly what ONNX Runtime computes, in the same order of operations.

use std::sync::Arc;

use tract_linalg::multithread::{multithread_tract_scope, Executor};
use tract_onnx::pb::{tensor_proto::DataType, GraphProto, ModelProto, NodeProto, TensorProto};
use tract_onnx::prelude::*;

use super::FaceError;

/// An ONNX model loaded into tract for one input shape. Also the way to bring another
/// model — e.g. a passive [`super::liveness::PresentationAttackDetector`] — to the phone.
#[derive(Clone)]
pub struct OnnxModel {
    plan: Arc<TypedSimplePlan>,
    input_shape: Vec<usize>,
    executor: Executor,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel").field("input_shape", &self.input_shape).finish_non_exhaustive()
    }
}

impl OnnxModel {
    /// Decode `bytes` (block-quantized weights are folded to f32, see the module doc) and
    /// optimise the graph for `input_shape`. Runs on the calling thread until
    /// `OnnxModel::set_threads` (feature `parallel`).
    pub fn load(bytes: &[u8], input_shape: &[usize]) -> Result<Self, FaceError> {
        Ok(Self {
            plan: load(bytes, input_shape)?,
            input_shape: input_shape.to_vec(),
            executor: Executor::SingleThread,
        })
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

    /// The input shape the model was optimised for.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Run on `input` (row-major, [`OnnxModel::input_shape`]); every output flattened.
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

/// Decode `bytes`, fold constant dequantization, and optimise for a fixed input shape.
fn load(bytes: &[u8], input_shape: &[usize]) -> Result<Arc<TypedSimplePlan>, FaceError> {
    let mut proto = decode(bytes)?;
    let graph = proto.graph.as_mut().ok_or(bad("no graph"))?;
    fold_constants(graph)?;
    // Shapes pinned for one input size would contradict another size.
    graph.value_info.clear();
    for output in &mut graph.output {
        output.r#type = None;
    }
    let model = tract_onnx::onnx()
        .model_for_proto_model(&proto)
        .map_err(|_| bad("tract cannot build the graph"))?
        .with_input_fact(0, f32::fact(input_shape).into())
        .map_err(|_| bad("input"))?;
    // The decoded protobuf holds a copy of every weight: free it before tract optimises
    // (which makes its own packed copy), or peak memory holds three.
    drop(proto);
    model.into_optimized().and_then(|m| m.into_runnable()).map_err(|_| bad("tract cannot optimise the graph"))
}

/// An output tensor's values.
fn to_vec(t: &TValue) -> Result<Vec<f32>, FaceError> {
    Ok(t.to_plain_array_view::<f32>().map_err(|_| FaceError::Inference)?.iter().copied().collect())
}

pub(crate) fn decode(bytes: &[u8]) -> Result<ModelProto, FaceError> {
    tract_onnx::onnx().proto_model_for_read(&mut &*bytes).map_err(|_| bad("not an ONNX model"))
}

/// A constant tensor as f32 values, or as the integers it holds.
enum Values {
    F32(Vec<f32>),
    Int(Vec<i64>),
}

fn values(t: &TensorProto) -> Result<Values, FaceError> {
    let n: usize = t.dims.iter().map(|d| *d as usize).product();
    let raw = &t.raw_data;
    let v = match DataType::try_from(t.data_type).map_err(|_| bad("tensor type"))? {
        DataType::Float if !raw.is_empty() => {
            Values::F32(raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        }
        DataType::Float => Values::F32(t.float_data.clone()),
        DataType::Int8 if !raw.is_empty() => Values::Int(raw.iter().map(|b| i64::from(*b as i8)).collect()),
        DataType::Uint8 if !raw.is_empty() => Values::Int(raw.iter().map(|b| i64::from(*b)).collect()),
        DataType::Int8 | DataType::Uint8 | DataType::Int32 if raw.is_empty() => {
            Values::Int(t.int32_data.iter().map(|v| i64::from(*v)).collect())
        }
        DataType::Int32 => {
            Values::Int(raw.chunks_exact(4).map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect())
        }
        DataType::Int64 if !raw.is_empty() => {
            Values::Int(raw.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8-byte chunk"))).collect())
        }
        DataType::Int64 => Values::Int(t.int64_data.clone()),
        _ => return Err(bad("unsupported constant type")),
    };
    let len = match &v {
        Values::F32(x) => x.len(),
        Values::Int(x) => x.len(),
    };
    if len != n {
        return Err(bad("constant size does not match its shape"));
    }
    Ok(v)
}

fn f32_tensor(name: &str, dims: Vec<i64>, data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.to_owned(),
        dims,
        data_type: DataType::Float as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn attr_i(node: &NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

/// `DequantizeLinear` over constants: per-tensor, per-axis or blocked (opset 21).
fn dequantize(node: &NodeProto, inputs: &[&TensorProto]) -> Result<(Vec<i64>, Vec<f32>), FaceError> {
    let (x, scale) = (inputs[0], inputs[1]);
    let Values::Int(xv) = values(x)? else { return Err(bad("DequantizeLinear input must be integers")) };
    let Values::F32(sv) = values(scale)? else { return Err(bad("DequantizeLinear scale must be f32")) };
    let zv = match inputs.get(2) {
        Some(z) => match values(z)? {
            Values::Int(z) => z,
            Values::F32(_) => return Err(bad("zero point must be integers")),
        },
        None => vec![0; sv.len()],
    };
    if zv.len() != sv.len() {
        return Err(bad("zero point and scale differ in shape"));
    }
    let dims: Vec<usize> = x.dims.iter().map(|d| *d as usize).collect();
    let rank = dims.len() as i64;
    let axis = attr_i(node, "axis").unwrap_or(1);
    let axis = if axis < 0 { axis + rank } else { axis };
    let block = attr_i(node, "block_size").unwrap_or(0);
    // Row-major strides of x and of the scale tensor.
    let strides = |d: &[usize]| -> Vec<usize> {
        let mut s = vec![1; d.len()];
        for i in (0..d.len().saturating_sub(1)).rev() {
            s[i] = s[i + 1] * d[i + 1];
        }
        s
    };
    let xs = strides(&dims);
    let scale_index: Box<dyn Fn(usize) -> usize> = if sv.len() == 1 {
        Box::new(|_| 0)
    } else {
        let axis = usize::try_from(axis).ok().filter(|a| *a < dims.len()).ok_or(bad("DequantizeLinear axis"))?;
        if block == 0 {
            if sv.len() != dims[axis] {
                return Err(bad("per-axis scale size"));
            }
            let (stride, len) = (xs[axis], dims[axis]);
            Box::new(move |i| (i / stride) % len)
        } else {
            let block = usize::try_from(block).map_err(|_| bad("block size"))?;
            let mut sdims = dims.clone();
            sdims[axis] = dims[axis].div_ceil(block);
            if sdims.iter().product::<usize>() != sv.len() {
                return Err(bad("blocked scale shape"));
            }
            let ss = strides(&sdims);
            let (dims, xs) = (dims.clone(), xs.clone());
            Box::new(move |i| {
                (0..dims.len()).map(|d| ((i / xs[d]) % dims[d] / if d == axis { block } else { 1 }) * ss[d]).sum()
            })
        }
    };
    let y = xv
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let j = scale_index(i);
            (q - zv[j]) as f32 * sv[j]
        })
        .collect();
    Ok((x.dims.clone(), y))
}

/// ONNX `Reshape` of a constant (0 copies the input dimension, −1 is inferred).
fn reshape(data: &TensorProto, shape: &TensorProto) -> Result<(Vec<i64>, Vec<f32>), FaceError> {
    let Values::F32(v) = values(data)? else { return Err(bad("only f32 constants are reshaped")) };
    let Values::Int(target) = values(shape)? else { return Err(bad("Reshape shape must be integers")) };
    let mut dims: Vec<i64> = target.iter().enumerate().map(|(i, d)| if *d == 0 { data.dims[i] } else { *d }).collect();
    let known: i64 = dims.iter().filter(|d| **d != -1).product();
    if let Some(unknown) = dims.iter_mut().find(|d| **d == -1) {
        *unknown = v.len() as i64 / known.max(1);
    }
    if dims.iter().product::<i64>() != v.len() as i64 {
        return Err(bad("Reshape size"));
    }
    Ok((dims, v))
}

/// Replace every `DequantizeLinear` and `Reshape` whose inputs are all constants by the
/// f32 constant it computes; drop the quantized initializers nothing uses any more.
/// Returns how many nodes were folded.
pub(crate) fn fold_constants(graph: &mut GraphProto) -> Result<usize, FaceError> {
    let mut folded = 0;
    let mut kept = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        let constant = |name: &str| graph.initializer.iter().find(|t| t.name == name);
        let inputs: Option<Vec<&TensorProto>> =
            node.input.iter().filter(|n| !n.is_empty()).map(|n| constant(n)).collect();
        let result = match (node.op_type.as_str(), inputs) {
            ("DequantizeLinear", Some(inputs)) if inputs.len() >= 2 => Some(dequantize(&node, &inputs)?),
            ("Reshape", Some(inputs)) if inputs.len() == 2 && inputs[0].data_type == DataType::Float as i32 => {
                Some(reshape(inputs[0], inputs[1])?)
            }
            _ => None,
        };
        match result {
            Some((dims, data)) => {
                let name = node.output.first().ok_or(bad("node without output"))?;
                graph.initializer.push(f32_tensor(name, dims, &data));
                folded += 1;
            }
            None => kept.push(node),
        }
    }
    graph.node = kept;
    let used: std::collections::HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().map(String::as_str))
        .chain(graph.output.iter().map(|o| o.name.as_str()))
        .collect();
    let used: std::collections::HashSet<String> = used.into_iter().map(str::to_owned).collect();
    graph.initializer.retain(|t| used.contains(&t.name));
    // Old exporters list weights as graph inputs too: keep only real inputs the graph reads
    // (the first is the image), so tract sees one source.
    let constants: std::collections::HashSet<String> = graph.initializer.iter().map(|t| t.name.clone()).collect();
    let first = graph.input.first().map(|i| i.name.clone());
    graph.input.retain(|i| Some(&i.name) == first.as_ref() || (used.contains(&i.name) && !constants.contains(&i.name)));
    Ok(folded)
}
