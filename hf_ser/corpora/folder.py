"""Your own data: a ``<label>/<file>`` folder tree, or a CSV with ``path,label[,speaker]`` columns.

Tree: the emotion is the one folder on a file's path whose name is an emotion (``angry``,
``Happy``, ``neutral``... anything :func:`hf_ser.labels.normalize_label` knows); another folder
next to it is the speaker (``<label>/<speaker>/<file>`` and ``<speaker>/<label>/<file>`` both
work), or ``speaker_pattern`` (a regex with a ``speaker`` group) takes it from the file name.

CSV: ``path`` (also ``file``/``filename``/``audio``), ``label`` (or ``emotion``) and optionally
``speaker`` (or ``speaker_id``), ``gender``, ``text``, ``language``, ``intensity``; relative paths
are resolved against the CSV's own folder. Pass the CSV file as ``data_dir`` (or ``csv=``).

Without speaker information a speaker-independent split is impossible: ``load_corpus`` then
asks for a speaker column/pattern, or ``split="none"`` / ``split="random"``.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..labels import EMOTIONS, normalize_label
from .base import (
    REASON_UNKNOWN_LABEL,
    REASON_UNREADABLE,
    CorpusBuilder,
    Rejection,
    SkipFile,
    SourceFile,
    Utterance,
    list_source_files,
)

UNKNOWN_SPEAKER = "unknown"
_PATH_COLUMNS = ("path", "file", "filename", "file_path", "filepath", "audio", "wav")
_LABEL_COLUMNS = ("label", "emotion", "class")
_SPEAKER_COLUMNS = ("speaker", "speaker_id", "actor", "spk")


def _label_or_none(name: str) -> str | None:
    try:
        return normalize_label(name)
    except ValueError:
        return None


def _pick(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


class FolderBuilder(CorpusBuilder):
    """Label-folder trees and path/label CSVs; ``corpus_name`` prefixes the speaker ids."""

    name = "folder"
    classes_from_files = True
    homepage = "(your own data)"
    title = "your own corpus (folder)"
    download_help = (
        "Pass a folder of <label>/<file> (optionally <label>/<speaker>/<file>) or a path,label[,speaker] CSV."
    )

    def __init__(
        self,
        csv: str | os.PathLike | None = None,
        speaker_pattern: str | None = None,
        corpus_name: str = "folder",
        language: str = "",
    ):
        self.csv = csv
        self.speaker_pattern = re.compile(speaker_pattern) if speaker_pattern else None
        self.name = corpus_name
        self.language = language
        self._tree_prefix = 0

    def default_class_names(self, utterances: Sequence[Utterance]) -> tuple[str, ...]:
        found = {u.emotion for u in utterances}
        return tuple(e for e in EMOTIONS if e in found)

    def resolve_data_dir(self, data_dir):
        if data_dir is None and self.csv is not None:
            return Path(self.csv).expanduser()
        return super().resolve_data_dir(data_dir)

    def _speaker_from_name(self, file: SourceFile) -> str | None:
        if self.speaker_pattern is None:
            return None
        m = self.speaker_pattern.search(file.stem)
        if not m:
            return None
        return m.groupdict().get("speaker") or (m.group(1) if m.groups() else m.group(0))

    # ---- tree ------------------------------------------------------------------------
    def parse(self, file: SourceFile) -> Utterance:
        dirs = list(file.parts[self._tree_prefix : -1])
        labels = [(i, lab) for i, d in enumerate(dirs) if (lab := _label_or_none(d)) is not None]
        if not labels:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"no emotion folder on the path of {file.relpath!r}")
        if len({lab for _, lab in labels}) > 1:
            raise SkipFile(REASON_UNKNOWN_LABEL, f"several emotion folders on the path of {file.relpath!r}")
        label_pos, emotion = labels[-1]
        others = [d for i, d in enumerate(dirs) if i != label_pos and _label_or_none(d) is None]
        speaker = self._speaker_from_name(file) or ("/".join(others) if others else UNKNOWN_SPEAKER)
        return Utterance(file, emotion, self.speaker_id(speaker))

    def scan(self, root: Path):
        csv_path = Path(self.csv).expanduser() if self.csv is not None else None
        if csv_path is None and root.is_file() and root.suffix.lower() == ".csv":
            csv_path = root
        if csv_path is not None:
            return self._scan_csv(csv_path)
        files, ignored = list_source_files(root)
        # Folders every file shares (above the emotion folders) are not speakers.
        dir_lists = [f.parts[:-1] for f in files]
        prefix = 0
        if dir_lists:
            shortest = min(len(d) for d in dir_lists)
            while (
                prefix < shortest
                and len({d[prefix] for d in dir_lists}) == 1
                and _label_or_none(dir_lists[0][prefix]) is None
            ):
                prefix += 1
        self._tree_prefix = prefix
        utterances, rejected, excluded = [], [], Counter()
        for f in files:
            try:
                utterances.append(self.parse(f))
            except SkipFile as e:
                rejected.append(Rejection(f.path, e.reason, e.detail))
        return utterances, rejected, excluded, len(files), ignored

    # ---- CSV -------------------------------------------------------------------------
    def _scan_csv(self, csv_path: Path):
        if not csv_path.is_file():
            raise FileNotFoundError(f"folder: CSV {os.fspath(csv_path)!r} does not exist")
        base = csv_path.parent
        with open(csv_path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            path_col, label_col = _pick(columns, _PATH_COLUMNS), _pick(columns, _LABEL_COLUMNS)
            if path_col is None or label_col is None:
                raise ValueError(
                    f"folder: {os.fspath(csv_path)!r} needs a path column ({'/'.join(_PATH_COLUMNS)}) and a label "
                    f"column ({'/'.join(_LABEL_COLUMNS)}); it has {columns}"
                )
            speaker_col = _pick(columns, _SPEAKER_COLUMNS)
            optional = {k: _pick(columns, (k,)) for k in ("gender", "text", "language", "intensity")}
            rows = list(reader)
        utterances, rejected = [], []
        for row in rows:
            raw = (row.get(path_col) or "").strip()
            full = Path(raw).expanduser()
            if not full.is_absolute():
                full = base / full
            st = full.stat() if full.is_file() else None
            file = SourceFile(raw, os.fspath(full), None, st.st_size if st else 0, st.st_mtime if st else 0.0)
            if st is None:
                rejected.append(Rejection(file.path, REASON_UNREADABLE, "no such file"))
                continue
            emotion = _label_or_none(row.get(label_col) or "")
            if emotion is None:
                rejected.append(Rejection(file.path, REASON_UNKNOWN_LABEL, f"unknown label {row.get(label_col)!r}"))
                continue
            speaker = (row.get(speaker_col) or "").strip() if speaker_col else ""
            speaker = speaker or self._speaker_from_name(file) or UNKNOWN_SPEAKER
            extra = {k: (row.get(c) or "").strip() if c else "" for k, c in optional.items()}
            gender = extra["gender"].lower()
            gender = {"f": "female", "m": "male"}.get(gender, gender)
            utterances.append(
                Utterance(
                    file,
                    emotion,
                    self.speaker_id(speaker),
                    gender if gender in ("female", "male") else "unknown",
                    extra["text"],
                    extra["intensity"],
                    extra["language"] or None,
                )
            )
        return utterances, rejected, Counter(), len(rows), 0
