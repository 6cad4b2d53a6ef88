"""CREMA-D: ``AudioWAV/<actor>_<sentence>_<EMO>_<level>.wav``, e.g. ``1001_DFA_ANG_XX.wav``.

91 actors (1001-1091; 48 male, 43 female), 12 sentences, 6 emotions (ANG DIS FEA HAP NEU SAD),
emotion level LO/MD/HI or XX (unspecified); 7442 clips. Genders come from
``VideoDemographics.csv`` (ActorID, Age, Sex, Race, Ethnicity) when it is in ``data_dir``.
The GitHub copy stores audio in Git LFS: a clone without ``git lfs pull`` holds pointer files,
which are rejected with that reason.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

from ..labels import CORPUS_LABEL_MAPS
from .base import (
    REASON_NAME,
    REASON_UNKNOWN_LABEL,
    CorpusBuilder,
    SkipFile,
    SourceFile,
    Utterance,
    first_match,
)

logger = logging.getLogger(__name__)

HOMEPAGE = "https://github.com/CheyneyComputerScience/CREMA-D"
DOWNLOAD_URL = "https://github.com/CheyneyComputerScience/CREMA-D (git lfs clone; audio in AudioWAV/)"
SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "", "X": ""}
_NAME = re.compile(r"^(?P<actor>\d{4})_(?P<sentence>[A-Za-z]{3})_(?P<emotion>[A-Za-z]{3})_(?P<level>[A-Za-z]{1,2})$")


def read_demographics(path: Path) -> dict[str, str]:
    """``{actor id: "female"|"male"}`` from CREMA-D's ``VideoDemographics.csv``."""
    genders = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            actor, sex = row.get("actorid", ""), row.get("sex", "").lower()
            if actor and sex in ("female", "male"):
                genders[actor] = sex
    return genders


class CremaDBuilder(CorpusBuilder):
    """CREMA-D from a clone of its GitHub repository (audio in ``AudioWAV/``) or a folder of its wavs."""

    name = "crema_d"
    language = "en"
    default_classes = "crema_d"
    homepage = HOMEPAGE
    download_url = DOWNLOAD_URL
    download_help = (
        "Run `git lfs install && git clone https://github.com/CheyneyComputerScience/CREMA-D` and pass the "
        "clone (or its AudioWAV/ folder) as data_dir. Licence: Open Database License."
    )
    license = "ODbL 1.0"
    citation = (
        "H. Cao, D. G. Cooper, M. K. Keutmann, R. C. Gur, A. Nenkova, R. Verma: CREMA-D: Crowd-sourced "
        "Emotional Multimodal Actors Dataset. IEEE Trans. Affective Computing 5(4), 2014."
    )

    def __init__(self, demographics: str | None = None):
        self.demographics = demographics
        self.genders: dict[str, str] = {}

    def select_files(self, files: list[SourceFile]) -> list[SourceFile]:
        in_audio_wav = [f for f in files if "AudioWAV" in f.parts[:-1]]
        return in_audio_wav or files

    def setup(self, root: Path) -> None:
        path = Path(self.demographics) if self.demographics else first_match(root, ["VideoDemographics.csv"])
        if path is None and root.is_dir() and root.name == "AudioWAV":
            path = first_match(root.parent, ["VideoDemographics.csv"])
        if path is None:
            logger.warning("crema_d: VideoDemographics.csv not found under %s: genders are 'unknown'", root)
            self.genders = {}
            return
        self.genders = read_demographics(path)

    def parse(self, file: SourceFile) -> Utterance:
        m = _NAME.match(file.stem)
        if not m:
            raise SkipFile(
                REASON_NAME, f"{file.name!r} does not follow CREMA-D's <actor>_<sentence>_<EMO>_<level> naming"
            )
        emotion = CORPUS_LABEL_MAPS["crema_d"].get(m["emotion"].upper())
        if emotion is None:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"unknown CREMA-D emotion code {m['emotion']!r} in {file.name!r}")
        level = m["level"].upper()
        if level not in LEVELS:
            raise SkipFile(REASON_NAME, f"unknown emotion level {m['level']!r} in {file.name!r}")
        actor = m["actor"]
        return Utterance(
            file,
            emotion,
            self.speaker_id(actor),
            self.genders.get(actor, "unknown"),
            SENTENCES.get(m["sentence"].upper(), m["sentence"].upper()),
            LEVELS[level],
        )
