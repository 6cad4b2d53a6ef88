"""EMO-DB (Berlin Database of Emotional Speech): ``wav/<ss><text><E><v>.wav``, e.g. ``03a01Fa.wav``.

10 actors (5 female, 5 male) speak 10 German sentences in 7 emotions; the 535 utterances that
passed the perception test. Speaker ``ss`` (2 digits), text id ``a01``-``b10``, emotion letter
(German initial: W Wut/anger, L Langeweile/boredom, E Ekel/disgust, A Angst/fear, F Freude/
happiness, T Trauer/sadness, N neutral), take version ``a``-``f``.
"""

from __future__ import annotations

import re

from ..labels import CORPUS_LABEL_MAPS
from .base import REASON_NAME, REASON_UNKNOWN_LABEL, CorpusBuilder, SkipFile, SourceFile, Utterance

HOMEPAGE = "http://emodb.bilderbar.info/"
DOWNLOAD_URL = "http://emodb.bilderbar.info/download/download.zip"
# From the corpus documentation (and ../shared/corpora/emodb/README.md).
FEMALE_SPEAKERS = frozenset({"08", "09", "13", "14", "16"})
MALE_SPEAKERS = frozenset({"03", "10", "11", "12", "15"})

_NAME = re.compile(r"^(?P<speaker>\d{2})(?P<text>[a-z]\d{2})(?P<emotion>[A-Za-z])(?P<version>[a-z])$")


class EmoDBBuilder(CorpusBuilder):
    """EMO-DB from its extracted ``download.zip`` (or the zip itself, or any folder of its wavs)."""

    name = "emodb"
    language = "de"
    default_classes = "emodb"
    homepage = HOMEPAGE
    download_url = DOWNLOAD_URL
    download_help = "Extract download.zip and pass the folder (it holds wav/) as data_dir."
    license = "free for research use (Technische Universitaet Berlin)"
    citation = (
        "F. Burkhardt, A. Paeschke, M. Rolfes, W. Sendlmeier, B. Weiss: A Database of German Emotional "
        "Speech. Proc. Interspeech 2005, pp. 1517-1520."
    )

    def parse(self, file: SourceFile) -> Utterance:
        m = _NAME.match(file.stem)
        if not m:
            raise SkipFile(
                REASON_NAME, f"{file.name!r} does not follow EMO-DB's <speaker><text><emotion><version> naming"
            )
        code = m["emotion"]
        emotion = CORPUS_LABEL_MAPS["emodb"].get(code)
        if emotion is None:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"unknown EMO-DB emotion letter {code!r} in {file.name!r}")
        spk = m["speaker"]
        gender = "female" if spk in FEMALE_SPEAKERS else "male" if spk in MALE_SPEAKERS else "unknown"
        return Utterance(file, emotion, self.speaker_id(spk), gender, text=m["text"])
