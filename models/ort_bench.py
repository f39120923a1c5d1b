"""ONNX Runtime's inference time for YuNet, SFace and the iris model on the same graphs and
inputs the tract benchmark uses (benches/face.rs), on 1 and 2 threads: median of 200 runs
after 20 warm-ups, in ms, as JSON. Called by scripts/bench-face.sh."""
import json, statistics, sys, time
import reference as ref

out = {}
# The iris model (converted by convert.py, nothing to fold) takes NHWC RGB in 0…1.
iris = ("iris", "iris_landmark.onnx", 64)
for key, name, size in [*ref.MODELS, iris]:
    x = ref.pattern(3, size, size)
    if key == "iris":
        x = (x[0].transpose(1, 2, 0) / 255.0).astype("float32")[None]
    for threads in (1, 2):
        _, sess = ref.session(f"{sys.argv[1]}/{name}", threads)
        feed = {sess.get_inputs()[0].name: x}
        for _ in range(20):
            sess.run(None, feed)
        times = []
        for _ in range(200):
            t = time.perf_counter(); sess.run(None, feed); times.append(time.perf_counter() - t)
        out[f"{key} {threads}"] = statistics.median(times) * 1e3
json.dump(out, sys.stdout)
