//! Model preparation at build time (issue #19). The app library must not carry tract's ONNX
//! front end (protobuf, the inference-model analyser, every ONNX operator), so this tool does
//! that work once, on the build machine: decode the ONNX file, rewrite its block-quantized
//! weights as operators over the int8 data (`dequantize`), type and declutter the graph for
//! one input shape, and write tract's own NNEF archive — what apps ship as an asset and
//! `idwallet_core::face` loads with tract-core and tract-nnef alone. The output is
//! reproducible (fixed tar metadata, sorted tensors, `canonical_names`), so
//! `models/models.toml` pins it.

pub mod dequantize;

use anyhow::{bail, Context, Result};
use tract_onnx::pb::TensorProto;
use tract_onnx::prelude::*;

/// `onnx` prepared for `input_shape`: the NNEF archive's bytes (an uncompressed tar).
/// The graph takes the image and then each int8 weight as inputs; the weights are in the
/// archive under [`INT8_DIR`].
pub fn prepare(onnx: &[u8], input_shape: &[usize]) -> Result<Vec<u8>> {
    let mut proto = tract_onnx::onnx().proto_model_for_read(&mut &*onnx).context("not an ONNX model")?;
    let graph = proto.graph.as_mut().context("the ONNX model has no graph")?;
    // tract folds a constant expression whose result fits its budget (4 MiB), which would
    // turn all but the largest weight back into f32 in the archive. So the int8 weights
    // stay inputs of the written graph, stored beside it in the archive; the app puts them
    // back as constants and folds them once when it loads the model.
    let mut held: Vec<TensorProto> = Vec::new();
    let quantized = dequantize::rewrite(graph)?;
    if graph.input.len() != 1 {
        bail!("the model must take one input");
    }
    for name in quantized {
        let at = graph.initializer.iter().position(|t| t.name == name).context("a quantized weight is missing")?;
        let weight = graph.initializer.remove(at);
        graph.input.push(input_of(&weight));
        held.push(weight);
    }
    // Shapes pinned for another input size would contradict this one.
    graph.value_info.clear();
    for output in &mut graph.output {
        output.r#type = None;
    }
    let mut model = tract_onnx::onnx().model_for_proto_model(&proto).context("tract cannot build the ONNX graph")?;
    model = model.with_input_fact(0, f32::fact(input_shape).into())?;
    let weights = held.iter().map(int8).collect::<Result<Vec<Tensor>>>()?;
    for (ix, w) in weights.iter().enumerate() {
        model = model.with_input_fact(ix + 1, InferenceFact::dt_shape(w.datum_type(), w.shape()))?;
    }
    let model = model
        .into_typed()
        .context("tract cannot type the graph")?
        .into_decluttered()
        .context("tract cannot declutter the graph")?;
    let mut nnef = Vec::new();
    tract_nnef::nnef()
        .with_onnx()
        .write_to_tar_with_config(&model, &mut nnef, false, true)
        .context("tract cannot write the graph as NNEF")?;
    let mut entries = Vec::new();
    for entry in tar::Archive::new(&*nnef).entries()? {
        let mut entry = entry?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data)?;
        if path == "graph.nnef" {
            data = canonical_names(std::str::from_utf8(&data)?).into_bytes();
        }
        entries.push((path, data));
    }
    // The weights go into the same archive as `int8/<input>.dat`, under the names the
    // graph's inputs have once read back (NNEF identifiers), in the order written.
    let back = tract_nnef::nnef()
        .with_onnx()
        .model_for_read(&mut &*archive(&entries)?)
        .context("the written NNEF does not load")?;
    let names: Vec<String> = back.input_outlets()?.iter().skip(1).map(|o| back.node(o.node).name.clone()).collect();
    if names.len() != weights.len() {
        bail!("the written graph lost an input");
    }
    for (name, weight) in names.iter().zip(&weights) {
        let mut data = Vec::new();
        tract_nnef::tensors::write_tensor(&mut data, weight)?;
        entries.push((format!("{INT8_DIR}/{name}.dat"), data));
    }
    archive(&entries)
}

/// A tar of `entries`, in order, with fixed metadata (the MS-DOS epoch, as tract's own).
fn archive(entries: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(315_532_800);
        tar.append_data(&mut header, path, &data[..])?;
    }
    Ok(tar.into_inner()?)
}

/// `graph` with tract's made-up names numbered in the order they are defined. tract names a
/// node it adds after one it rewrites (`x` → `x_1`, `x_2`) in hash-map order, which differs
/// from run to run; the graph is the same. Renumbering each such family by definition
/// order (outside string literals) makes the archive reproducible, so it can be pinned.
pub fn canonical_names(graph: &str) -> String {
    let defined: Vec<&str> = graph
        .lines()
        .filter_map(|l| l.trim_start().split_once(" = ").map(|(name, _)| name))
        .filter(|n| is_identifier(n))
        .collect();
    let set: std::collections::HashSet<&str> = defined.iter().copied().collect();
    let mut families: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for name in &defined {
        if let Some((base, n)) = name.rsplit_once('_') {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && set.contains(base) {
                families.entry(base).or_default().push(name);
            }
        }
    }
    let mut rename = std::collections::HashMap::new();
    for (base, names) in families {
        let mut numbers: Vec<u64> = names.iter().filter_map(|n| n.rsplit_once('_')?.1.parse().ok()).collect();
        numbers.sort_unstable();
        for (name, n) in names.into_iter().zip(numbers) {
            rename.insert(name.to_owned(), format!("{base}_{n}"));
        }
    }
    let mut out = String::with_capacity(graph.len());
    let (mut word, mut in_string) = (String::new(), false);
    for c in graph.chars() {
        if !in_string && (c.is_ascii_alphanumeric() || c == '_') {
            word.push(c);
            continue;
        }
        out.push_str(rename.get(&word).unwrap_or(&word));
        word.clear();
        if c == '"' {
            in_string = !in_string;
        }
        out.push(c);
    }
    out.push_str(rename.get(&word).unwrap_or(&word));
    out
}

fn is_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Where the archive keeps the int8 weights the graph takes as inputs (the app's loader
/// knows this name too: `idwallet_core::face::model`).
pub const INT8_DIR: &str = "int8";

/// A graph input with `t`'s type and shape.
fn input_of(t: &TensorProto) -> tract_onnx::pb::ValueInfoProto {
    use tract_onnx::pb::{tensor_shape_proto::dimension::Value, tensor_shape_proto::Dimension, type_proto};
    let dim = t.dims.iter().map(|d| Dimension { value: Some(Value::DimValue(*d)), ..Default::default() }).collect();
    let tensor = type_proto::Tensor { elem_type: t.data_type, shape: Some(tract_onnx::pb::TensorShapeProto { dim }) };
    tract_onnx::pb::ValueInfoProto {
        name: t.name.clone(),
        r#type: Some(tract_onnx::pb::TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An 8-bit ONNX constant as a tract tensor.
fn int8(t: &TensorProto) -> Result<Tensor> {
    use tract_onnx::pb::tensor_proto::DataType;
    let shape: Vec<usize> = t.dims.iter().map(|d| usize::try_from(*d)).collect::<Result<_, _>>()?;
    let raw = &t.raw_data;
    let n = shape.iter().product::<usize>();
    if raw.len() != n {
        bail!("an 8-bit weight is not stored as {n} raw bytes");
    }
    Ok(match DataType::try_from(t.data_type) {
        Ok(DataType::Int8) => Tensor::from_shape(&shape, &raw.iter().map(|b| *b as i8).collect::<Vec<_>>())?,
        Ok(DataType::Uint8) => Tensor::from_shape(&shape, raw)?,
        _ => bail!("a quantized weight is not 8-bit"),
    })
}
