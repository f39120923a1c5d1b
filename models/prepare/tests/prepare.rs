//! The build-time preparation against independent references: the int8 weights, dequantized
//! by the operators `dequantize` writes, equal an offline numpy fold bit for bit
//! (`models/reference.py` → `tests/fixtures/face/reference.json`); the archive is
//! reproducible; what is not a model is refused. Needs `models/fetch.sh`'s files.

use std::path::PathBuf;

use tract_onnx::pb::ValueInfoProto;
use tract_onnx::prelude::*;

fn models_dir() -> PathBuf {
    let dir = std::env::var_os("IDWALLET_MODELS").map(PathBuf::from).unwrap_or_else(|| {
        let tools = std::env::var_os("IDWALLET_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools"));
        tools.join("models")
    });
    assert!(dir.join(YUNET).exists(), "no models in {}: run models/fetch.sh", dir.display());
    dir
}

const YUNET: &str = "face_detection_yunet_2023mar_int8bq.onnx";
const SFACE: &str = "face_recognition_sface_2021dec_int8bq.onnx";

fn read(name: &str) -> Vec<u8> {
    std::fs::read(models_dir().join(name)).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_dequantized_weights_match_an_offline_fold_bit_for_bit() {
    let reference: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/face/reference.json")).unwrap(),
    )
    .unwrap();
    for (key, file, shape, rewritten) in
        [("yunet", YUNET, [1, 3, 320, 320], 64), ("sface", SFACE, [1, 3, 112, 112], 29)]
    {
        let mut proto = tract_onnx::onnx().proto_model_for_read(&mut &*read(file)).unwrap();
        let graph = proto.graph.as_mut().unwrap();
        let weights = idwallet_models::dequantize::rewrite(graph).unwrap();
        assert_eq!(weights.len(), rewritten, "{key}");
        assert!(graph.node.iter().all(|n| n.op_type != "DequantizeLinear"), "{key}: a DequantizeLinear is left");
        // Every dequantized weight the offline fold recorded becomes an output of the graph.
        let expected = reference[key]["folded_sha256"].as_object().unwrap();
        let produced: std::collections::HashSet<&String> = graph.node.iter().flat_map(|n| &n.output).collect();
        let names: Vec<String> = expected.keys().filter(|n| produced.contains(n)).cloned().collect();
        assert!(names.len() >= rewritten, "{key}: only {} of the folded tensors are produced", names.len());
        graph.value_info.clear();
        graph.output = names.iter().map(|n| ValueInfoProto { name: n.clone(), ..Default::default() }).collect();
        let model = tract_onnx::onnx()
            .model_for_proto_model(&proto)
            .unwrap()
            .with_input_fact(0, f32::fact(shape).into())
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap();
        let outputs = model.run(tvec!(Tensor::zero::<f32>(&shape).unwrap().into())).unwrap();
        for (name, value) in names.iter().zip(&outputs) {
            let bytes: Vec<u8> =
                value.to_plain_array_view::<f32>().unwrap().iter().flat_map(|v| v.to_le_bytes()).collect();
            assert_eq!(sha256_hex(&bytes), expected[name].as_str().unwrap(), "{key}: {name}");
        }
    }
}

#[test]
fn the_archive_is_reproducible_and_holds_the_weights_as_int8() {
    let a = idwallet_models::prepare(&read(YUNET), &[1, 3, 320, 320]).unwrap();
    let b = idwallet_models::prepare(&read(YUNET), &[1, 3, 320, 320]).unwrap();
    assert!(a == b, "two preparations of the same model differ");
    let mut int8 = 0;
    for entry in tar::Archive::new(&*a).entries().unwrap() {
        let entry = entry.unwrap();
        if entry.path().unwrap().starts_with(idwallet_models::INT8_DIR) {
            int8 += 1;
        }
    }
    assert_eq!(int8, 64);
    // Smaller than the same graph with its weights as f32 would be (~1.2 MB of weights).
    assert!(a.len() < 400_000, "{} bytes", a.len());
}

#[test]
fn canonical_names_renumber_a_family_in_definition_order_and_leave_strings_alone() {
    let graph =
        "graph g(x) -> (y) {\n  a = f(x, label = \"a_2\");\n  a_2 = g(a);\n  a_1 = h(a_2);\n  y = k(a_1, a_2);\n}\n";
    let out = idwallet_models::canonical_names(graph);
    assert_eq!(
        out,
        "graph g(x) -> (y) {\n  a = f(x, label = \"a_2\");\n  a_1 = g(a);\n  a_2 = h(a_1);\n  y = k(a_2, a_1);\n}\n"
    );
    // Already in order: unchanged.
    assert_eq!(idwallet_models::canonical_names(&out), out);
}

#[test]
fn what_is_not_a_model_is_refused_with_an_error() {
    assert!(idwallet_models::prepare(b"not a model", &[1, 3, 320, 320]).is_err());
    let yunet = read(YUNET);
    assert!(idwallet_models::prepare(&yunet[..yunet.len() / 2], &[1, 3, 320, 320]).is_err());
    // An input of the wrong rank or channel count is refused too.
    assert!(idwallet_models::prepare(&yunet, &[1, 3, 320]).is_err());
    assert!(idwallet_models::prepare(&yunet, &[1, 4, 320, 320]).is_err());
}
