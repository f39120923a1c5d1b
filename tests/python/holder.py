"""A holder as the tests need one: synthetic citizen N's documents issued with their real
face, and the face enrolled through a liveness session fed SYNTHETIC camera frames of a
second photo of the same person (a desktop has no camera). Enrolment unlocks the eID."""

import asyncio
import functools
import os
import pathlib

import idwallet as idw
from test_wallet import PyKeyStore

MODELS = pathlib.Path(os.environ["IDWALLET_MODELS"])


def photo(name):
    return (MODELS / "photos" / f"{name}.jpg").read_bytes()


@functools.cache
def face_models():
    return asyncio.run(idw.FaceModels.load(
        (MODELS / "face_detection_yunet_2023mar.nnef.tar").read_bytes(),
        (MODELS / "face_recognition_sface_2021dec.nnef.tar").read_bytes(),
    ))


async def play(session, picture, act=idw.SyntheticAct.GENUINE):
    """Feed `session` frames of `picture` until it ends; the last progress or its error."""
    camera = await idw.SyntheticCamera.create(face_models(), picture, act)
    last, at = None, 0
    for _ in range(300):
        # 10 frames a second, 20 while the screen shows colours (a phone's preview runs at 30).
        at += 50 if isinstance(last, idw.UnlockProgress.SHOW_COLOUR) else 100
        last = await session.feed(camera.next_frame(last), at)
        if isinstance(last, idw.UnlockProgress.UNLOCKED):
            return last
    raise AssertionError("the session did not end in 300 frames")


def enrolled_holder(tmp_path, issuer, citizen, valid_secs=86_400, keys=None):
    wallet = asyncio.run(idw.Wallet.open(str(tmp_path / f"holder-{citizen}.db"), keys or PyKeyStore(), idw.OpenOptions()))
    face = idw.synthetic_face(citizen)
    asyncio.run(issuer.issue_citizen(wallet, citizen, valid_secs, photo(face.id_photo)))
    asyncio.run(play(asyncio.run(wallet.start_face_enrolment(face_models())), photo(face.live_photo)))
    return wallet
