"""TESS (Toronto Emotional Speech Set): ``<OAF|YAF>_<emotion folder>/<OAF|YAF>_<word>_<emotion>.wav``.

Two actresses (OAF aged 64, YAF aged 26) say "Say the word ___" with 200 target words in 7
emotions: angry, disgust, fear, happy, neutral, ps (pleasant surprise), sad; 2800 files.
Real copies differ: folder spellings vary (``OAF_Fear``, ``OAF_Pleasant_surprise``,
``YAF_pleasant_surprised``), one file is AIFF-C although named ``.wav``, one is at 96 kHz, and a
file name lacks the speaker prefix. So the speaker comes from the file name's prefix or else from
the folder, and the emotion from the file name's last part or else from the folder; the audio
format is sniffed from the content by soundfile.
"""

from __future__ import annotations

import re

from ..labels import CLASS_SUBSETS, CORPUS_LABEL_MAPS, normalize_label
from .base import REASON_UNKNOWN_LABEL, REASON_UNKNOWN_SPEAKER, CorpusBuilder, SkipFile, SourceFile, Utterance

HOMEPAGE = "https://borealisdata.ca/dataset.xhtml?persistentId=doi:10.5683/SP2/E8H2MF"
DOWNLOAD_URL = "https://tspace.library.utoronto.ca/handle/1807/24487"
SPEAKERS = ("OAF", "YAF")
_FOLDER = re.compile(r"^(?P<speaker>OAF|YAF)[ _-]+(?P<emotion>.+)$", re.IGNORECASE)
_BROKEN_PREFIX = re.compile(r"^[A-Z]{1,3}$")


def _label(token: str) -> str | None:
    code = token.strip().lower()
    if code in CORPUS_LABEL_MAPS["tess"]:
        return CORPUS_LABEL_MAPS["tess"][code]
    try:
        label = normalize_label(code)
    except ValueError:
        return None
    return label if label in CLASS_SUBSETS["tess"] else None


class TessBuilder(CorpusBuilder):
    """TESS from its extracted archive (any of the common folder spellings), or the zip itself."""

    name = "tess"
    language = "en"
    default_classes = "tess"
    homepage = HOMEPAGE
    download_url = DOWNLOAD_URL
    download_help = "Extract the archive and pass the folder that holds the OAF_*/YAF_* folders as data_dir."
    license = "CC BY-NC-ND 4.0"
    hub_license = "cc-by-nc-nd-4.0"
    title = "TESS (Toronto Emotional Speech Set)"
    citation = "K. Dupuis, M. K. Pichora-Fuller: Toronto Emotional Speech Set (TESS). University of Toronto, 2010."

    def parse(self, file: SourceFile) -> Utterance:
        folder = _FOLDER.match(file.parent_name)
        folder_speaker = folder["speaker"].upper() if folder else None
        folder_emotion = _label(folder["emotion"]) if folder else None
        tokens = file.stem.split("_")
        speaker = None
        if tokens and tokens[0].upper() in SPEAKERS:
            speaker = tokens.pop(0).upper()
        elif len(tokens) > 2 and _BROKEN_PREFIX.match(tokens[0]):
            # a mangled prefix such as "OA" (OA_bite_neutral.wav): the folder says who it is, or
            # in a flat copy (no OAF_*/YAF_* folders) the one speaker code it is the start of
            broken = tokens.pop(0).upper()
            guesses = [s for s in SPEAKERS if s.startswith(broken)]
            speaker = folder_speaker or (guesses[0] if len(guesses) == 1 else None)
        speaker = speaker or folder_speaker
        if speaker is None:
            raise SkipFile(REASON_UNKNOWN_SPEAKER, f"no OAF/YAF prefix in {file.name!r} nor in its folder")
        emotion = _label(tokens[-1]) if len(tokens) > 1 else None
        if emotion is None:
            emotion = folder_emotion
        else:
            tokens.pop()
        if emotion is None:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"no known TESS emotion in {file.name!r} nor in its folder")
        word = "_".join(tokens)
        return Utterance(file, emotion, self.speaker_id(speaker), "female", f"Say the word {word}" if word else "")
