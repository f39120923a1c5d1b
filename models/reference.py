"""Reference values for idwallet's face tests, from the original (int8, block-quantized)
models: an offline constant fold done with numpy (sha256 of every folded tensor), and
ONNX Runtime's outputs for the offline-folded graph on a deterministic input. (ONNX
Runtime 1.32 refuses the original YuNet: some of its DequantizeLinear nodes carry a
block_size with a per-tensor scale, which OpenCV and our loader treat as per-tensor.) Run once after a model changes:

    python -m venv /tmp/ref && /tmp/ref/bin/pip install onnx==1.19.1 onnxruntime==1.32.0 numpy
    /tmp/ref/bin/python models/reference.py .tools/models > tests/fixtures/face/reference.json
"""
import hashlib, json, sys
import numpy as np, onnx, onnxruntime as ort
from onnx import numpy_helper

def fold(path):
    m = onnx.load(path)
    g = m.graph
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    out = {}
    for n in g.node:
        ins = [i for i in n.input if i]
        if not all(i in consts for i in ins):
            continue
        attrs = {a.name: a.i for a in n.attribute}
        if n.op_type == "DequantizeLinear":
            x, s = consts[ins[0]], consts[ins[1]]
            z = consts[ins[2]] if len(ins) > 2 else np.zeros_like(s, dtype=x.dtype)
            axis, block = attrs.get("axis", 1) % max(x.ndim, 1), attrs.get("block_size", 0)
            if s.size == 1:
                y = (x.astype(np.int32) - z.astype(np.int32).reshape(())).astype(np.float32) * s.reshape(())
            elif block == 0:
                shape = [1] * x.ndim; shape[axis] = -1
                y = (x.astype(np.int32) - z.astype(np.int32).reshape(shape)).astype(np.float32) * s.reshape(shape)
            else:
                rep = lambda a: np.repeat(a, block, axis=axis)[tuple(slice(0, d) for d in x.shape)]
                y = (x.astype(np.int32) - rep(z).astype(np.int32)).astype(np.float32) * rep(s)
        elif n.op_type == "Reshape" and consts[ins[0]].dtype == np.float32:
            y = consts[ins[0]].reshape([d if d != 0 else consts[ins[0]].shape[i] for i, d in enumerate(consts[ins[1]])])
        else:
            continue
        consts[n.output[0]] = y.astype(np.float32)
        out[n.output[0]] = hashlib.sha256(np.ascontiguousarray(y, dtype="<f4").tobytes()).hexdigest()
    kept = [n for n in g.node if n.output[0] not in out]
    del g.node[:]
    g.node.extend(kept)
    g.initializer.extend(numpy_helper.from_array(consts[name], name) for name in out)
    used = {i for n in g.node for i in n.input}
    inputs = [i for k, i in enumerate(g.input) if k == 0 or i.name in used]
    del g.input[:]
    g.input.extend(inputs)
    return out, m

def pattern(c, h, w):
    cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    return (((cc * 131 + yy * 17 + xx * 7) % 256).astype(np.float32))[None]

MODELS = [("yunet", "face_detection_yunet_2023mar_int8bq.onnx", 320),
          ("sface", "face_recognition_sface_2021dec_int8bq.onnx", 112)]

def session(path, threads=0):
    """ONNX Runtime on the offline-folded graph, freed of pinned sizes as the Rust loader does
    (so YuNet runs at 320×320). threads=0: ONNX Runtime's default."""
    folded, m = fold(path)
    del m.graph.value_info[:]
    for o in m.graph.output:
        o.type.tensor_type.ClearField("shape")
    for d in m.graph.input[0].type.tensor_type.shape.dim[2:]:
        d.dim_param = "n"
    so = ort.SessionOptions(); so.log_severity_level = 3
    so.intra_op_num_threads = threads
    return folded, ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])

if __name__ == "__main__":
    models = sys.argv[1]
    ref = {}
    for key, name, size in MODELS:
        folded, sess = session(f"{models}/{name}")
        feed = {sess.get_inputs()[0].name: pattern(3, size, size)}
        outs = sess.run(None, feed)
        ref[key] = {
            "folded_sha256": folded,
            "input": f"pattern 1x3x{size}x{size}: (c*131 + y*17 + x*7) % 256",
            "outputs": [[float(v) for v in o.reshape(-1)[:64]] for o in outs],
            "output_sums": [float(o.astype(np.float64).sum()) for o in outs],
            "onnxruntime": ort.__version__,
        }
    json.dump(ref, sys.stdout, indent=1)
