"""RAVDESS: ``Actor_XX/MM-VV-EE-II-SS-RR-AA.wav`` (audio-only modality 03; FLAC copies read the same).

Fields (from the corpus documentation): modality (01 full AV, 02 video-only, 03 audio-only),
vocal channel (01 speech, 02 song), emotion (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry,
06 fearful, 07 disgust, 08 surprised), intensity (01 normal, 02 strong), statement (01 "Kids are
talking by the door", 02 "Dogs are sitting by the door"), repetition (01/02), actor (01-24; odd
numbers are male, even female). Speech: 1440 files (24 actors x 60); song: 1012 (no actor 18).
"""

from __future__ import annotations

import re

from ..labels import CORPUS_LABEL_MAPS
from .base import REASON_NAME, REASON_UNKNOWN_LABEL, CorpusBuilder, ExcludeFile, SkipFile, SourceFile, Utterance

HOMEPAGE = "https://zenodo.org/records/1188976"
DOWNLOAD_URLS = {
    "speech": "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip",
    "song": "https://zenodo.org/records/1188976/files/Audio_Song_Actors_01-24.zip",
}
STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
INTENSITIES = {"01": "normal", "02": "strong"}
VOCAL_CHANNELS = {"01": "speech", "02": "song"}

_NAME = re.compile(
    r"^(?P<modality>\d{2})-(?P<channel>\d{2})-(?P<emotion>\d{2})-(?P<intensity>\d{2})"
    r"-(?P<statement>\d{2})-(?P<repetition>\d{2})-(?P<actor>\d{2})$"
)


class RavdessBuilder(CorpusBuilder):
    """RAVDESS audio-only files; ``vocal_channel`` picks ``"speech"`` (default), ``"song"`` or ``"both"``."""

    name = "ravdess"
    language = "en"
    default_classes = "ravdess"
    homepage = HOMEPAGE
    download_url = DOWNLOAD_URLS["speech"]
    download_help = (
        f"Song: {DOWNLOAD_URLS['song']}. Extract the zip(s) (or pass the zip itself) as data_dir; "
        "licence CC BY-NC-SA 4.0."
    )
    license = "CC BY-NC-SA 4.0"
    hub_license = "cc-by-nc-sa-4.0"
    title = "RAVDESS (speech)"
    citation = (
        "S. R. Livingstone, F. A. Russo: The Ryerson Audio-Visual Database of Emotional Speech and Song "
        "(RAVDESS). PLoS ONE 13(5): e0196391, 2018."
    )

    def __init__(self, vocal_channel: str = "speech"):
        if vocal_channel not in ("speech", "song", "both"):
            raise ValueError(f"vocal_channel must be 'speech', 'song' or 'both', got {vocal_channel!r}")
        self.vocal_channel = vocal_channel

    def parse(self, file: SourceFile) -> Utterance:
        m = _NAME.match(file.stem)
        if not m:
            raise SkipFile(REASON_NAME, f"{file.name!r} does not follow RAVDESS's MM-VV-EE-II-SS-RR-AA naming")
        if m["modality"] != "03":
            raise ExcludeFile(f"modality {m['modality']} (not audio-only)")
        channel = VOCAL_CHANNELS.get(m["channel"])
        if channel is None:
            raise SkipFile(REASON_NAME, f"unknown vocal channel {m['channel']!r} in {file.name!r}")
        if self.vocal_channel != "both" and channel != self.vocal_channel:
            raise ExcludeFile(f"vocal channel {channel}")
        emotion = CORPUS_LABEL_MAPS["ravdess"].get(m["emotion"])
        if emotion is None:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"unknown RAVDESS emotion code {m['emotion']!r} in {file.name!r}")
        intensity = INTENSITIES.get(m["intensity"])
        if intensity is None:
            raise SkipFile(REASON_NAME, f"unknown intensity {m['intensity']!r} in {file.name!r}")
        actor = int(m["actor"])
        if not 1 <= actor <= 24:
            raise SkipFile(REASON_NAME, f"actor {m['actor']!r} outside 01-24 in {file.name!r}")
        gender = "male" if actor % 2 else "female"
        return Utterance(
            file, emotion, self.speaker_id(m["actor"]), gender, STATEMENTS.get(m["statement"], ""), intensity
        )
