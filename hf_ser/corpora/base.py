"""Shared machinery of the corpus builders: scan a folder (or archive), decode, reject, build Arrow.

A corpus module only says how one file name maps onto an utterance (emotion, speaker, gender,
text, intensity). Everything else lives here and is the same for every corpus:

* listing the files under ``data_dir`` (a folder, a ``.zip`` archive, or a folder holding only
  archives), ignoring hidden files and macOS ``__MACOSX`` resource forks;
* decoding each file with :mod:`hf_ser.audio` (soundfile: mono, resampled, AIFF-C named ``.wav``
  and 96 kHz files decode correctly) and re-encoding it as 16-bit PCM WAV at the target rate;
* rejecting bad files with a reason instead of failing the corpus: unreadable, empty, truncated,
  too short, a Git LFS pointer instead of audio, a name that does not follow the corpus's scheme,
  an unknown emotion code, duplicate content (same bytes, or same decoded audio), digital silence (no
  25 ms frame reaches :data:`hf_ser.audio.SILENCE_FLOOR_DB`: an all-zero file is not an emotion);
* writing the rows with ``datasets.Dataset.from_generator`` so the result is cached Arrow that
  ``save_to_disk`` and ``push_to_hub`` handle, with no loading script.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import posixpath
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..audio import AudioDecodeError, decode_audio_bytes, encode_wav, silence_detail
from ..files import write_json_atomic
from ..labels import resolve_classes

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

# Bump when the rows a builder writes change, so stale Arrow caches are not reused.
CACHE_VERSION = "3"
AUDIO_EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".aif", ".aiff", ".aifc", ".mp3")
ARCHIVE_EXTENSIONS: tuple[str, ...] = (".zip",)
GENDERS = ("female", "male", "unknown")

# Rejection reasons (stable strings: they appear in prepare_report.json).
REASON_UNREADABLE = "unreadable"
REASON_EMPTY = "empty"
REASON_TRUNCATED = "truncated"
REASON_TOO_SHORT = "too_short"
REASON_NON_FINITE = "non_finite"
REASON_LFS_POINTER = "lfs_pointer"
REASON_NAME = "name_mismatch"
REASON_UNKNOWN_LABEL = "unknown_label"
REASON_UNKNOWN_SPEAKER = "unknown_speaker"
REASON_DUPLICATE = "duplicate"
REASON_SILENT = "silent"


def corpus_features(classes: Sequence[str], sampling_rate: int, audio_as_struct: bool = False) -> datasets.Features:
    """The unified schema every corpus is written with (see INTERFACES.md).

    ``audio_as_struct`` gives the plain ``{bytes, path}`` struct that ``Audio(decode=False)`` is
    stored as: rows are written with it and cast to ``Audio`` afterwards (a schema-only change),
    because ``Audio.encode_example`` imports torch and torchcodec (seconds) for every build.
    """
    import datasets

    audio = (
        {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}
        if audio_as_struct
        else datasets.Audio(sampling_rate=sampling_rate, decode=False)
    )
    return datasets.Features(
        {
            "audio": audio,
            "emotion": datasets.ClassLabel(names=list(classes)),
            "speaker_id": datasets.Value("string"),
            "gender": datasets.Value("string"),
            "corpus": datasets.Value("string"),
            "language": datasets.Value("string"),
            "text": datasets.Value("string"),
            "intensity": datasets.Value("string"),
            "path": datasets.Value("string"),
            "duration": datasets.Value("float32"),
        }
    )


# --------------------------------------------------------------------------------------------
# Files


@lru_cache(maxsize=8)
def _open_zip(location: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(location)


@dataclass(frozen=True)
class SourceFile:
    """One audio file of a corpus: a file on disk, or a member of a ``.zip`` archive.

    ``relpath`` is POSIX-style and relative to ``data_dir`` (for an archive member it starts with
    the archive's own path), so corpus modules can look at folder names such as ``Actor_01``.
    """

    relpath: str
    location: str
    member: str | None = None
    size: int = 0
    mtime: float = 0.0

    @property
    def name(self) -> str:
        return posixpath.basename(self.relpath)

    @property
    def stem(self) -> str:
        return posixpath.splitext(self.name)[0]

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.relpath.split("/"))

    @property
    def parent_name(self) -> str:
        parts = self.parts
        return parts[-2] if len(parts) > 1 else ""

    @property
    def path(self) -> str:
        """The original location as a user would write it (``archive.zip/member`` for members)."""
        return self.location if self.member is None else f"{self.location}/{self.member}"

    def read_bytes(self) -> bytes:
        if self.member is None:
            with open(self.location, "rb") as f:
                return f.read()
        return _open_zip(self.location).read(self.member)


def _skip_name(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def _zip_members(archive: Path, rel_prefix: str, extensions: tuple[str, ...]) -> list[SourceFile]:
    out = []
    try:
        mtime = archive.stat().st_mtime  # members carry the archive's mtime, so a new archive rebuilds the cache
        zf = _open_zip(os.fspath(archive))
    except (OSError, zipfile.BadZipFile) as e:
        logger.warning("cannot open archive %s: %s", archive, e)
        return out
    for info in zf.infolist():
        if info.is_dir():
            continue
        parts = info.filename.split("/")
        if any(_skip_name(p) for p in parts):
            continue
        if info.filename.lower().endswith(extensions):
            rel = posixpath.join(rel_prefix, info.filename) if rel_prefix else info.filename
            out.append(SourceFile(rel, os.fspath(archive), info.filename, info.file_size, mtime))
    return out


def list_source_files(data_dir: str | os.PathLike) -> tuple[list[SourceFile], int]:
    """All audio files (:data:`AUDIO_EXTENSIONS`, any case) under ``data_dir``, sorted by path.

    ``data_dir`` may be a folder, a ``.zip`` archive, or a folder that holds only archives (the
    corpus as downloaded): loose audio files win over archives, so a folder holding both the
    archive and its extracted copy is read once. Returns ``(files, number of other files)``.
    """
    root = Path(data_dir)
    extensions = AUDIO_EXTENSIONS
    if root.is_file():
        if root.suffix.lower() in ARCHIVE_EXTENSIONS:
            files = _zip_members(root, root.name, extensions)
            return sorted(files, key=lambda f: f.relpath), 0
        if root.suffix.lower() in extensions:
            st = root.stat()
            return [SourceFile(root.name, os.fspath(root), None, st.st_size, st.st_mtime)], 0
        raise ValueError(f"{root}: not a folder, an audio file or a .zip archive")
    files: list[SourceFile] = []
    archives: list[Path] = []
    ignored = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skip_name(d))
        for fname in sorted(filenames):
            if _skip_name(fname):
                continue
            low = fname.lower()
            full = os.path.join(dirpath, fname)
            if low.endswith(extensions):
                try:
                    st = os.stat(full)
                except OSError:
                    st = None
                rel = Path(full).relative_to(root).as_posix()
                files.append(SourceFile(rel, full, None, st.st_size if st else 0, st.st_mtime if st else 0.0))
            elif low.endswith(ARCHIVE_EXTENSIONS):
                archives.append(Path(full))
            else:
                ignored += 1
    if not files:
        for archive in archives:
            files.extend(_zip_members(archive, archive.relative_to(root).as_posix(), extensions))
    elif archives:
        ignored += len(archives)
    return sorted(files, key=lambda f: f.relpath), ignored


# --------------------------------------------------------------------------------------------
# Scan results


class SkipFile(Exception):
    """Raised by :meth:`CorpusBuilder.parse` for a file that must be rejected (listed with a reason)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ExcludeFile(Exception):
    """Raised by :meth:`CorpusBuilder.parse` for a valid file the chosen options leave out (counted)."""


@dataclass
class Utterance:
    """What a corpus module reads from one file's name (and folder)."""

    file: SourceFile
    emotion: str
    speaker: str
    gender: str = "unknown"
    text: str = ""
    intensity: str = ""
    language: str | None = None


@dataclass
class Rejection:
    path: str
    reason: str
    detail: str = ""


@dataclass
class CorpusReport:
    """What happened to every file found under ``data_dir``: kept, left out (counted) or rejected."""

    corpus: str
    data_dir: str
    sampling_rate: int
    classes: list[str]
    files_found: int = 0
    other_files_ignored: int = 0
    utterances: int = 0
    hours: float = 0.0
    speakers: list[str] = field(default_factory=list)
    per_emotion: dict[str, int] = field(default_factory=dict)
    per_gender: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    # classes found on disk (folder) left out of the label set because every one of their files was rejected
    dropped_classes: list[str] = field(default_factory=list)

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        return dict(Counter(r.reason for r in self.rejected))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["num_speakers"] = len(self.speakers)
        d["rejected_count"] = len(self.rejected)
        d["rejected_by_reason"] = self.rejected_by_reason
        d["excluded_count"] = sum(self.excluded.values())
        return d


def dataset_stats(ds: datasets.Dataset) -> dict[str, Any]:
    """Counts, hours, speakers and per-emotion/per-gender counts of a unified-schema dataset."""
    names = ds.features["emotion"].names
    cols = ds.select_columns(["emotion", "speaker_id", "gender", "duration"]).to_dict()
    per_emotion = Counter(names[i] for i in cols["emotion"])
    return {
        "utterances": len(ds),
        "hours": round(float(sum(cols["duration"])) / 3600.0, 4),
        "speakers": sorted(set(cols["speaker_id"])),
        "per_emotion": {n: per_emotion.get(n, 0) for n in names},
        "per_gender": dict(sorted(Counter(cols["gender"]).items())),
    }


# --------------------------------------------------------------------------------------------
# Row generation (runs inside datasets' builder; module-level so datasets can hash/pickle it)


def _decode_reason(message: str) -> str:
    low = message.lower()
    if "empty" in low:
        return REASON_EMPTY
    if "truncated" in low:
        return REASON_TRUNCATED
    if "too short" in low:
        return REASON_TOO_SHORT
    if "non-finite" in low:
        return REASON_NON_FINITE
    return REASON_UNREADABLE


def _strip_name(message: str, name: str) -> str:
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _generate_rows(
    corpus: str,
    language: str,
    records: tuple[Utterance, ...],
    sampling_rate: int,
    classes: tuple[str, ...],
    report_path: str,
    progress: bool,
) -> Iterator[dict[str, Any]]:
    from tqdm.auto import tqdm

    label_index = {c: i for i, c in enumerate(classes)}
    rejected: list[dict[str, str]] = []
    seen_bytes: dict[str, str] = {}
    seen_audio: dict[str, str] = {}

    def reject(path: str, reason: str, detail: str) -> None:
        rejected.append({"path": path, "reason": reason, "detail": detail})

    for utt in tqdm(records, desc=f"decoding {corpus}", unit="file", disable=not progress, mininterval=0.5):
        f = utt.file
        try:
            data = f.read_bytes()
        except (OSError, zipfile.BadZipFile, KeyError) as e:
            reject(f.path, REASON_UNREADABLE, f"cannot read file ({e})")
            continue
        if not data:
            reject(f.path, REASON_EMPTY, "empty file (0 bytes)")
            continue
        if data.startswith(b"version https://git-lfs"):
            reject(f.path, REASON_LFS_POINTER, "a Git LFS pointer, not audio: fetch the audio with `git lfs pull`")
            continue
        digest = hashlib.sha1(data).hexdigest()
        if digest in seen_bytes:
            reject(f.path, REASON_DUPLICATE, f"same bytes as {seen_bytes[digest]}")
            continue
        seen_bytes[digest] = f.path
        try:
            wave = decode_audio_bytes(data, sampling_rate, f.path)
        except AudioDecodeError as e:
            msg = _strip_name(str(e), f.path)
            reject(f.path, _decode_reason(msg), msg)
            continue
        silent = silence_detail(wave, sampling_rate)
        if silent is not None:
            reject(f.path, REASON_SILENT, silent)
            continue
        encoded = encode_wav(wave, sampling_rate)
        audio_digest = hashlib.sha1(encoded).hexdigest()
        if audio_digest in seen_audio:
            reject(f.path, REASON_DUPLICATE, f"same audio as {seen_audio[audio_digest]}")
            continue
        seen_audio[audio_digest] = f.path
        yield {
            "audio": {"bytes": encoded, "path": f.name},
            "emotion": label_index[utt.emotion],
            "speaker_id": utt.speaker,
            "gender": utt.gender,
            "corpus": corpus,
            "language": language if utt.language is None else utt.language,
            "text": utt.text,
            "intensity": utt.intensity,
            "path": f.path,
            "duration": len(wave) / float(sampling_rate),
        }
    write_json_atomic(report_path, {"rejected": rejected}, indent=None)


def _cache_root(cache_dir: str | os.PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE)


@contextlib.contextmanager
def datasets_bars_hidden() -> Iterator[None]:
    """datasets' own progress bars (generate, map, save) off for a moment: hf-ser shows one per file instead."""
    from datasets.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    were_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if not were_disabled:
            enable_progress_bars()


def drop_classes(ds: datasets.Dataset, names: Sequence[str]) -> datasets.Dataset:
    """``ds`` with ``names`` removed from its ``emotion`` label set (no row may carry them)."""
    import datasets

    old = ds.features["emotion"].names
    kept = [n for n in old if n not in set(names)]
    remap = {i: kept.index(n) for i, n in enumerate(old) if n in kept}
    features = ds.features.copy()
    features["emotion"] = datasets.ClassLabel(names=kept)
    with datasets_bars_hidden():
        return ds.map(lambda batch: {"emotion": [remap[i] for i in batch["emotion"]]}, batched=True, features=features)


def generate_dataset(
    generator: Callable[..., Iterator[dict[str, Any]]],
    classes: Sequence[str],
    sampling_rate: int,
    *,
    gen_kwargs: dict[str, Any],
    fingerprint: str,
    cache_dir: str | os.PathLike | None = None,
) -> datasets.Dataset:
    """``Dataset.from_generator`` in the unified schema, cached under ``fingerprint``.

    Rows are written with a plain audio struct and cast to ``Audio(decode=False)`` afterwards,
    and datasets' own progress bar is hidden (the generator shows one per file instead).
    """
    import datasets

    with datasets_bars_hidden():
        ds = datasets.Dataset.from_generator(
            generator,
            features=corpus_features(classes, sampling_rate, audio_as_struct=True),
            cache_dir=os.fspath(cache_dir) if cache_dir is not None else None,
            fingerprint=fingerprint,
            gen_kwargs=gen_kwargs,
        )
    # cast_column to a decodable feature only swaps the schema (no rewrite, unlike Dataset.cast)
    return ds.cast_column("audio", datasets.Audio(sampling_rate=sampling_rate, decode=False))


def materialize(
    corpus: str,
    language: str,
    records: Sequence[Utterance],
    *,
    sampling_rate: int,
    classes: Sequence[str],
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> tuple[datasets.Dataset, list[Rejection]]:
    """Decode ``records`` into a cached Arrow dataset; returns it and the files rejected on decoding.

    The cache key covers every record (path, size, mtime, labels), the rate, the classes and
    :data:`CACHE_VERSION`, so an edited or added file rebuilds the dataset and an unchanged
    corpus is read back from Arrow without decoding again. The decode rejections are kept in a
    small JSON file next to the cache, since a cache hit does not run the generator.
    """
    h = hashlib.sha256()
    h.update(f"{CACHE_VERSION}|{corpus}|{language}|{sampling_rate}|{','.join(classes)}\n".encode())
    for u in records:
        f = u.file
        line = "|".join(
            map(str, (f.path, f.size, f.mtime, u.emotion, u.speaker, u.gender, u.text, u.intensity, u.language))
        )
        h.update(line.encode() + b"\n")
    fingerprint = f"hf_ser-{corpus}-{h.hexdigest()[:32]}"

    def run(fp: str) -> tuple[datasets.Dataset, Path]:
        report_path = _cache_root(cache_dir) / "hf_ser_reports" / f"{fp}.json"
        gen_kwargs = {
            "corpus": corpus,
            "language": language,
            "records": tuple(records),
            "sampling_rate": sampling_rate,
            "classes": tuple(classes),
            "report_path": os.fspath(report_path),
            "progress": progress,
        }
        ds = generate_dataset(
            _generate_rows, classes, sampling_rate, gen_kwargs=gen_kwargs, fingerprint=fp, cache_dir=cache_dir
        )
        return ds, report_path

    ds, report_path = run(fingerprint)
    if not report_path.exists():
        # The Arrow cache outlived its report (deleted by hand): rebuild under a fresh key.
        logger.info("rebuilding %s: the cached dataset has no decode report", corpus)
        ds, report_path = run(f"{fingerprint}-{os.getpid()}-{os.urandom(4).hex()}")
    with open(report_path) as fh:
        rejected = [Rejection(**r) for r in json.load(fh)["rejected"]]
    return ds, rejected


# --------------------------------------------------------------------------------------------
# Builders


class CorpusBuilder:
    """Base class of the corpus builders: subclasses implement :meth:`parse` (and maybe hooks).

    Builder options (e.g. RAVDESS's ``vocal_channel``) are keyword arguments of the subclass's
    ``__init__``; an unknown option is a ``TypeError`` that lists the valid ones.
    """

    name: ClassVar[str] = ""
    language: ClassVar[str] = ""
    default_classes: ClassVar[str] = "all"
    homepage: ClassVar[str] = ""
    download_url: ClassVar[str] = ""
    download_help: ClassVar[str] = ""
    license: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    # What a model card says about the corpus: display title and the Hub licence id of its metadata.
    title: ClassVar[str] = ""
    hub_license: ClassVar[str] = "other"
    requires_data_dir: ClassVar[bool] = True
    # True when default_class_names reads the label set off the files found (folder): a class all of whose
    # files are then rejected is dropped. A corpus's documented label set stays whole.
    classes_from_files: ClassVar[bool] = False

    # ---- hooks -------------------------------------------------------------------------
    def parse(self, file: SourceFile) -> Utterance:
        """Map one file onto an utterance; raise :class:`SkipFile` or :class:`ExcludeFile`."""
        raise NotImplementedError

    def setup(self, root: Path) -> None:
        """Read corpus-level metadata (e.g. a demographics table) before files are parsed."""

    def select_files(self, files: list[SourceFile]) -> list[SourceFile]:
        """Narrow the files found (e.g. to the corpus's audio folder)."""
        return files

    def speaker_id(self, local: str) -> str:
        return f"{self.name}_{local}"

    def default_class_names(self, utterances: Sequence[Utterance]) -> tuple[str, ...]:
        return resolve_classes(None, default=self.default_classes)

    # ---- data_dir ------------------------------------------------------------------------
    def where_to_get(self) -> str:
        lines = [f"Get {self.name} from {self.homepage or self.download_url}."]
        if self.download_url and self.download_url != self.homepage:
            lines.append(f"Download: {self.download_url}")
        if self.download_help:
            lines.append(self.download_help)
        return " ".join(lines)

    def resolve_data_dir(self, data_dir: str | os.PathLike | None) -> Path:
        if data_dir is None:
            raise ValueError(
                f"{self.name}: data_dir is required (this corpus cannot be downloaded automatically). "
                + self.where_to_get()
            )
        root = Path(data_dir).expanduser()
        if not root.exists():
            raise FileNotFoundError(f"{self.name}: data_dir {os.fspath(root)!r} does not exist. " + self.where_to_get())
        return root

    # ---- build ---------------------------------------------------------------------------
    def scan(self, root: Path) -> tuple[list[Utterance], list[Rejection], Counter, int, int]:
        """Parse every file's name: (utterances, rejections, excluded counts, files found, others)."""
        # Every builder reads any container libsndfile decodes: the file name carries the labels, not the
        # extension (public FLAC copies of WAV corpora are common); a take found in two formats is caught
        # by the decoded-audio hash as a duplicate.
        files, ignored = list_source_files(root)
        files = self.select_files(files)
        self.setup(root)
        utterances: list[Utterance] = []
        rejected: list[Rejection] = []
        excluded: Counter = Counter()
        for f in files:
            try:
                utterances.append(self.parse(f))
            except SkipFile as e:
                rejected.append(Rejection(f.path, e.reason, e.detail))
            except ExcludeFile as e:
                excluded[str(e)] += 1
        return utterances, rejected, excluded, len(files), ignored

    def build(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        sampling_rate: int = 16000,
        classes: str | Sequence[str] | None = None,
        cache_dir: str | os.PathLike | None = None,
        progress: bool = True,
    ) -> tuple[datasets.Dataset, CorpusReport]:
        """Scan, decode and write the corpus as one Arrow dataset plus a report of every file."""
        root = self.resolve_data_dir(data_dir)
        utterances, rejected, excluded, n_files, ignored = self.scan(root)
        if n_files == 0:
            raise FileNotFoundError(
                f"{self.name}: no {'/'.join(AUDIO_EXTENSIONS)} files under {os.fspath(root)!r}. " + self.where_to_get()
            )
        chosen = (
            resolve_classes(classes, default=self.default_classes)
            if classes is not None
            else self.default_class_names(utterances)
        )
        records = []
        for u in utterances:
            if u.emotion in chosen:
                records.append(u)
            else:
                excluded[f"emotion {u.emotion} not in classes"] += 1
        report = CorpusReport(self.name, os.fspath(root), sampling_rate, list(chosen), n_files, ignored)
        report.excluded = dict(sorted(excluded.items()))
        if not records:
            reasons = Counter(r.reason for r in rejected)
            raise ValueError(
                f"{self.name}: none of the {n_files} files under {os.fspath(root)!r} is usable "
                f"(rejected: {dict(reasons)}, left out: {dict(excluded)}); first problems: "
                + "; ".join(f"{r.path}: {r.reason} {r.detail}" for r in rejected[:3])
            )
        ds, decode_rejected = materialize(
            self.name,
            self.language,
            records,
            sampling_rate=sampling_rate,
            classes=chosen,
            cache_dir=cache_dir,
            progress=progress,
        )
        report.rejected = sorted(rejected + decode_rejected, key=lambda r: r.path)
        if len(ds) == 0:
            raise ValueError(
                f"{self.name}: every file under {os.fspath(root)!r} was rejected: "
                + "; ".join(f"{r.path}: {r.reason} {r.detail}" for r in report.rejected[:3])
            )
        fill_report(report, ds)
        empty = [c for c in chosen if report.per_emotion.get(c, 0) == 0]
        if empty and classes is None and self.classes_from_files:  # found on disk, but no usable file
            ds = drop_classes(ds, empty)
            report.classes = [c for c in report.classes if c not in empty]
            report.dropped_classes = empty
            fill_report(report, ds)
            logger.warning("%s: no usable file of %s: left out of the label set", self.name, ", ".join(empty))
        elif empty and classes is not None:
            logger.warning("%s: no usable file of %s, asked for in classes: it keeps 0 clips", self.name, empty)
        log_report(report)
        return ds, report


def fill_report(report: CorpusReport, ds: datasets.Dataset) -> None:
    stats = dataset_stats(ds)
    report.utterances = stats["utterances"]
    report.hours = stats["hours"]
    report.speakers = stats["speakers"]
    report.per_emotion = stats["per_emotion"]
    report.per_gender = stats["per_gender"]


def log_report(report: CorpusReport) -> None:
    logger.info(
        "%s: %d utterances, %d speakers, %.2f h from %d files",
        report.corpus,
        report.utterances,
        len(report.speakers),
        report.hours,
        report.files_found,
    )
    if report.rejected:
        logger.warning(
            "%s: %d file(s) rejected %s, e.g. %s (%s)",
            report.corpus,
            len(report.rejected),
            report.rejected_by_reason,
            report.rejected[0].path,
            report.rejected[0].detail or report.rejected[0].reason,
        )
    if report.excluded:
        logger.info("%s: left out %s", report.corpus, report.excluded)


def first_match(root: Path, names: Iterable[str]) -> Path | None:
    """The first file under ``root`` (breadth-first, sorted) whose name is one of ``names`` (any case)."""
    wanted = {n.lower() for n in names}
    if root.is_file():
        return None
    level = [root]
    while level:
        nxt = []
        for d in level:
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                if _skip_name(e.name):
                    continue
                if e.is_file() and e.name.lower() in wanted:
                    return Path(e.path)
                if e.is_dir():
                    nxt.append(Path(e.path))
        level = nxt
    return None
