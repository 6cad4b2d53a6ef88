"""SAVEE (Surrey Audio-Visual Expressed Emotion): ``AudioData/<DC|JE|JK|KL>/<prefix><nn>.wav``.

Four male British-English speakers, 120 utterances each (480): prefixes a anger, d disgust,
f fear, h happiness, n neutral (30 per speaker), sa sadness, su surprise (15 each). The common
flattened copy ``<SPK>_<prefix><nn>.wav`` (e.g. ``DC_a01.wav``) is read as well. SAVEE is given out
after registration only, so ``data_dir`` is always required.
"""

from __future__ import annotations

import re

from ..labels import CORPUS_LABEL_MAPS
from .base import (
    REASON_NAME,
    REASON_UNKNOWN_LABEL,
    REASON_UNKNOWN_SPEAKER,
    CorpusBuilder,
    SkipFile,
    SourceFile,
    Utterance,
)

HOMEPAGE = "http://kahlan.eps.surrey.ac.uk/savee/"
DOWNLOAD_URL = "http://kahlan.eps.surrey.ac.uk/savee/Register.html"
SPEAKERS = ("DC", "JE", "JK", "KL")
_NAME = re.compile(r"^(?:(?P<speaker>[A-Za-z]{2})_)?(?P<code>[A-Za-z]{1,2})(?P<number>\d{2})$")
_SPEAKER_FOLDER = re.compile(r"^[A-Za-z]{2}$")


class SaveeBuilder(CorpusBuilder):
    """SAVEE from ``AudioData/`` (registration-only download) or its flattened ``<SPK>_<prefix><nn>.wav`` copy."""

    name = "savee"
    language = "en"
    default_classes = "savee"
    homepage = HOMEPAGE
    download_url = DOWNLOAD_URL
    download_help = (
        "SAVEE is distributed only after registration: request access there, extract AudioData "
        "and pass the folder holding AudioData/ (or the flattened <SPK>_<prefix><nn>.wav files) as data_dir."
    )
    license = "free for research use after registration (University of Surrey)"
    hub_license = "other"
    title = "SAVEE (Surrey Audio-Visual Expressed Emotion)"
    citation = "S. Haq, P. J. B. Jackson: Speaker-dependent audio-visual emotion recognition. AVSP 2009."

    def parse(self, file: SourceFile) -> Utterance:
        m = _NAME.match(file.stem)
        if not m:
            raise SkipFile(
                REASON_NAME, f"{file.name!r} does not follow SAVEE's <prefix><nn> or <SPK>_<prefix><nn> naming"
            )
        code = m["code"].lower()
        emotion = CORPUS_LABEL_MAPS["savee"].get(code)
        if emotion is None:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"unknown SAVEE emotion prefix {m['code']!r} in {file.name!r}")
        speaker = m["speaker"] or (file.parent_name if _SPEAKER_FOLDER.match(file.parent_name) else None)
        if speaker is None:
            raise SkipFile(REASON_UNKNOWN_SPEAKER, f"no speaker in {file.name!r}: expected AudioData/<SPK>/ or <SPK>_")
        return Utterance(file, emotion, self.speaker_id(speaker.upper()), "male")
