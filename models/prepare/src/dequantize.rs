//! Block-quantized weights, kept int8 in the prepared file. YuNet and SFace ship as small
//! int8 files whose weights are `DequantizeLinear` nodes over constants (opset 21, blocks
//! of 9–64 along an axis), which tract does not load. ADR 0005 folded them to f32 when the
//! app loaded a model; written out that way SFace's archive would be 38.7 MB instead of
//! 10.7. So each one becomes the ONNX operators it stands for, over the same int8 data:
//!
//! `y = reshape((cast(x) − cast(zero_point)) · scale)`, the axis split into blocks so each
//! block's scale broadcasts over it.
//!
//! `(x − zero_point)` is exact in f32 and the product rounds once: bit for bit what ONNX
//! Runtime computes. tract writes these operators into the NNEF archive (it folds only
//! constants that do not grow past its budget) and the app's loader folds what is left,
//! once, before optimising (`idwallet_core::face::model`).

use anyhow::{anyhow, bail, Result};
use tract_onnx::pb::{tensor_proto::DataType, AttributeProto, GraphProto, NodeProto, TensorProto};

/// Rewrite every `DequantizeLinear` whose inputs are all constants; returns the names of
/// the 8-bit weights they read.
pub fn rewrite(graph: &mut GraphProto) -> Result<Vec<String>> {
    let mut weights = Vec::new();
    let mut nodes = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        let constant = |name: &str| graph.initializer.iter().find(|t| t.name == name).cloned();
        let inputs: Option<Vec<TensorProto>> =
            node.input.iter().filter(|n| !n.is_empty()).map(|n| constant(n)).collect();
        match inputs {
            Some(inputs) if node.op_type == "DequantizeLinear" && inputs.len() >= 2 => {
                let (new_nodes, new_constants) = expand(&node, &inputs)?;
                nodes.extend(new_nodes);
                graph.initializer.extend(new_constants);
                weights.push(inputs[0].name.clone());
            }
            _ => nodes.push(node),
        }
    }
    graph.node = nodes;
    // Old exporters list weights as graph inputs too: keep the image, and any other input
    // a node reads that nothing defines, so tract sees the one source it must.
    let defined: std::collections::HashSet<String> = graph
        .initializer
        .iter()
        .map(|t| t.name.clone())
        .chain(graph.node.iter().flat_map(|n| n.output.iter().cloned()))
        .collect();
    let read: std::collections::HashSet<String> = graph.node.iter().flat_map(|n| n.input.iter().cloned()).collect();
    let image = graph.input.first().map(|i| i.name.clone());
    graph.input.retain(|i| Some(&i.name) == image.as_ref() || (read.contains(&i.name) && !defined.contains(&i.name)));
    Ok(weights)
}

/// The nodes and shape constants standing for one `DequantizeLinear(x, scale, zero_point)`.
fn expand(node: &NodeProto, inputs: &[TensorProto]) -> Result<(Vec<NodeProto>, Vec<TensorProto>)> {
    let (x, scale, zero_point) = (&inputs[0], &inputs[1], inputs.get(2));
    if ![DataType::Int8 as i32, DataType::Uint8 as i32].contains(&x.data_type) {
        bail!("DequantizeLinear of a constant that is not 8-bit");
    }
    if scale.data_type != DataType::Float as i32 {
        bail!("DequantizeLinear with a scale that is not f32");
    }
    let out = node.output.first().ok_or_else(|| anyhow!("DequantizeLinear without an output"))?;
    let dims = &x.dims;
    let rank = dims.len() as i64;
    let axis = attr(node, "axis").unwrap_or(1);
    let axis = usize::try_from(if axis < 0 { axis + rank } else { axis }).unwrap_or(usize::MAX);
    let block = attr(node, "block_size").unwrap_or(0);
    let scale_len: i64 = scale.dims.iter().product();
    // Shapes under which x and the scale broadcast element by element.
    let (x_shape, scale_shape) = if scale_len == 1 {
        (None, None)
    } else if axis >= dims.len() {
        bail!("DequantizeLinear axis out of range");
    } else if block == 0 {
        if scale_len != dims[axis] {
            bail!("per-axis scale of the wrong size");
        }
        let mut s = vec![1; dims.len()];
        s[axis] = dims[axis];
        (None, Some(s))
    } else {
        if dims[axis] % block != 0 || scale_len * block != dims.iter().product::<i64>() {
            bail!("block size does not divide the quantized axis");
        }
        let split = |inner: i64| {
            let mut s = dims[..axis].to_vec();
            s.extend([dims[axis] / block, inner]);
            s.extend(&dims[axis + 1..]);
            s
        };
        (Some(split(block)), Some(split(1)))
    };
    let name = |step: &str| format!("{out}.{step}");
    let mut nodes = Vec::new();
    let mut constants = Vec::new();
    let mut reshape = |input: String, shape: &[i64], step: &str, nodes: &mut Vec<NodeProto>| {
        constants.push(TensorProto {
            name: name(&format!("{step}.shape")),
            dims: vec![shape.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: shape.to_vec(),
            ..Default::default()
        });
        nodes.push(op("Reshape", vec![input, name(&format!("{step}.shape"))], name(step), vec![]));
        name(step)
    };
    let cast = |input: &str, step: &str| {
        let to = AttributeProto { name: "to".into(), i: DataType::Float as i64, r#type: 2, ..Default::default() };
        op("Cast", vec![input.to_owned()], name(step), vec![to])
    };
    nodes.push(cast(&x.name, "x"));
    let mut values = name("x");
    if let Some(shape) = &x_shape {
        values = reshape(values, shape, "x_blocks", &mut nodes);
    }
    let mut factor = |tensor: String, step: &str, nodes: &mut Vec<NodeProto>| match &scale_shape {
        Some(shape) => reshape(tensor, shape, step, nodes),
        None => tensor,
    };
    if let Some(z) = zero_point {
        nodes.push(cast(&z.name, "zero_point"));
        let z = factor(name("zero_point"), "zero_point_blocks", &mut nodes);
        nodes.push(op("Sub", vec![values, z], name("centred"), vec![]));
        values = name("centred");
    }
    let s = factor(scale.name.clone(), "scale_blocks", &mut nodes);
    let product = if x_shape.is_some() { name("blocks") } else { out.clone() };
    nodes.push(op("Mul", vec![values, s], product.clone(), vec![]));
    if x_shape.is_some() {
        constants.push(TensorProto {
            name: name("shape"),
            dims: vec![dims.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: dims.clone(),
            ..Default::default()
        });
        nodes.push(op("Reshape", vec![product, name("shape")], out.clone(), vec![]));
    }
    Ok((nodes, constants))
}

fn op(op_type: &str, input: Vec<String>, output: String, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op_type.into(),
        name: output.clone(),
        input,
        output: vec![output],
        attribute,
        ..Default::default()
    }
}

fn attr(node: &NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}
