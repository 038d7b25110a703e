"""ZIP-FIT on Hugging Face ``datasets``: score and select without leaving Arrow.

Install with ``pip install "zipfit[hf]"`` (``datasets`` and ``tokenizers``)::

    import datasets, zipfit.hf

    pool = datasets.load_dataset("OWNER/NAME", split="train")          # or streaming=True
    pool = zipfit.hf.score(pool, targets)                  # adds a float64 "zipfit_score" column
    best = zipfit.hf.select(pool, targets, k=1000)         # a Dataset of the best rows

Texts are read from the dataset's Arrow batches and handed to the C engine
in place (a plain text column needs no Python string per row).  Scores are
exactly :func:`zipfit.alignment`'s, and :func:`select` picks the same rows,
in the same order, as ``zipfit select`` on the same data: best first, ties
to the lower position, with ``zipfit_score`` and ``zipfit_index`` added.
An ``IterableDataset`` (streamed, sharded or not) is selected in one pass in
memory O(k + chunk).
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Optional, Tuple

import numpy as np

try:
    import datasets
    import pyarrow as pa
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('zipfit.hf needs Hugging Face datasets: pip install "zipfit[hf]"') \
        from exc

from ._api import Text, ZipFit, as_texts
from ._arrow import arrow_texts
from ._checks import check_int, check_limits
from ._select import CHUNK_DOCS, Selector
from .errors import InputError
from .io import TextSpec, encode_text
from .tokens import Costs

__all__ = ["score", "select", "SCORE_COLUMN", "INDEX_COLUMN"]

SCORE_COLUMN = "zipfit_score"
INDEX_COLUMN = "zipfit_index"

_DICTS = (datasets.DatasetDict, datasets.IterableDatasetDict)
_ONE = (datasets.Dataset, datasets.IterableDataset)


def _check_dataset(dataset: Any, allow_dicts: bool) -> None:
    if isinstance(dataset, _DICTS) and not allow_dicts:
        raise TypeError(f"select takes one split, not a {type(dataset).__name__}: "
                        f"pass dataset[{next(iter(dataset), 'train')!r}]")
    kinds = _ONE + (_DICTS if allow_dicts else ())
    if not isinstance(dataset, kinds):
        names = ", ".join(k.__name__ for k in kinds)
        raise TypeError(f"expected a datasets {names}, not {type(dataset).__name__}")


def _batches(dataset: Any, chunk_size: int) -> Iterator[pa.Table]:
    """The dataset's rows as Arrow tables of up to ``chunk_size`` rows, in order."""
    yield from dataset.with_format("arrow").iter(batch_size=chunk_size)


def _texts(batch: pa.Table, spec: TextSpec, first_row: int) -> Any:
    """The texts of a batch: its column's Arrow buffers, or the template filled in."""
    if spec.template is not None:
        out = []
        for i, row in enumerate(batch.to_pylist()):
            def err(message: str, field: Optional[str] = None, _r: int = first_row + i + 1
                    ) -> InputError:
                return InputError(message, where=f"row {_r}", field=field)
            out.append(encode_text(spec.text(row, err), err, None))
        return out
    name = spec.field
    if name not in batch.column_names:
        raise InputError(f"missing (the dataset has columns: {', '.join(batch.column_names)})",
                         field=name)
    col = batch.column(name)
    if col.null_count:
        row = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise InputError("is null, expected a string", field=name,
                         where=f"row {first_row + row + 1}")
    try:
        return arrow_texts(col, name)
    except TypeError:
        raise InputError(f"is {col.type}, expected a string or binary column",
                         field=name) from None


def _targets(targets: Any, target_column: str, target_template: Optional[str]) -> List[Text]:
    if not isinstance(targets, _ONE):
        return as_texts(targets, "targets")
    spec = TextSpec(target_column, target_template)
    out: List[Text] = []
    for batch in _batches(targets, CHUNK_DOCS):
        out += list(_texts(batch, spec, len(out)))
    return out


def _scorer(targets: Any, options: dict) -> ZipFit:
    texts = _targets(targets, options.pop("target_column"), options.pop("target_template"))
    return ZipFit(texts, **options)


def score(dataset: Any, targets: Any, *, text_column: str = "text",
          template: Optional[str] = None, column: str = SCORE_COLUMN,
          compressor: str = "gzip", level: Optional[int] = None, workers: int = -1,
          target_column: str = "text", target_template: Optional[str] = None,
          chunk_size: int = CHUNK_DOCS) -> Any:
    """The dataset with a float64 ``column`` of ZIP-FIT scores.

    Returns the same kind of object: a ``Dataset`` (scored now, batch by
    batch through Arrow), an ``IterableDataset`` (scored lazily as it is
    iterated), or a ``DatasetDict``/``IterableDatasetDict`` (every split).
    The texts are ``text_column``, or ``template`` filled from each row's
    fields (``"{title}\\n{body}"``).  ``targets``: a list of str/bytes, or a
    dataset whose ``target_column`` (or ``target_template``) gives them.
    """
    _check_dataset(dataset, allow_dicts=True)
    chunk_size = check_int("chunk_size", chunk_size, 1)
    zf = _scorer(targets, dict(compressor=compressor, level=level, workers=workers,
                               target_column=target_column, target_template=target_template))
    spec = TextSpec(text_column, template)
    return _score_with(dataset, zf, spec, column, chunk_size)


def _score_with(dataset: Any, zf: ZipFit, spec: TextSpec, column: str, chunk_size: int) -> Any:
    if isinstance(dataset, _DICTS):
        return type(dataset)({name: _score_with(split, zf, spec, column, chunk_size)
                              for name, split in dataset.items()})
    if isinstance(dataset, datasets.Dataset):
        parts, n = [], 0
        for batch in _batches(dataset, chunk_size):
            parts.append(zf.scorer.alignment_block(_texts(batch, spec, n)))
            n += batch.num_rows
        scores = np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)
        return dataset.add_column(column, scores)
    seen = [0]

    def add(batch: pa.Table) -> pa.Table:
        texts = _texts(batch, spec, seen[0])
        seen[0] += batch.num_rows
        return batch.append_column(column, pa.array(zf.scorer.alignment_block(texts),
                                                    pa.float64()))
    features = dataset.features
    if features is not None:
        features = datasets.Features({**features, column: datasets.Value("float64")})
    return dataset.with_format("arrow").map(add, batched=True, batch_size=chunk_size,
                                            features=features).with_format(None)


class _Rows:
    """A batch's rows as dicts, made only for the rows a selector keeps."""

    def __init__(self, batch: pa.Table) -> None:
        self.batch = batch

    def __getitem__(self, i: int) -> dict:
        return self.batch.slice(i, 1).to_pylist()[0]


def select(dataset: Any, targets: Any, *, k: Optional[int] = None,
           budget_tokens: Optional[int] = None, budget_bytes: Optional[int] = None,
           tokenizer: Optional[str] = None, text_column: str = "text",
           template: Optional[str] = None, compressor: str = "gzip",
           level: Optional[int] = None, workers: int = -1, target_column: str = "text",
           target_template: Optional[str] = None,
           chunk_size: int = CHUNK_DOCS) -> "datasets.Dataset":
    """A ``Dataset`` of the best rows, best first, with ``zipfit_score`` and ``zipfit_index``.

    Every column of the selected rows is kept; ``zipfit_index`` is the row's
    position in ``dataset``; ties go to the lower position.  ``k`` and/or a
    budget limit the selection: ``budget_tokens`` (whitespace tokens, or the
    tokens of ``tokenizer``: a ``tokenizer.json`` path or a transformers
    name) or ``budget_bytes`` (UTF-8 bytes) takes rows best first and stops
    at the first that would exceed the budget.  A ``Dataset`` is scored
    batch by batch; an ``IterableDataset`` is selected in one streaming pass
    in memory O(k + chunk).  The same rows, in the same order, as
    ``zipfit select`` on the same data.
    """
    _check_dataset(dataset, allow_dicts=False)
    k, budget, unit = check_limits(k, budget_tokens, budget_bytes)
    chunk_size = check_int("chunk_size", chunk_size, 1)
    costs = Costs(unit, tokenizer) if unit is not None else None
    zf = _scorer(targets, dict(compressor=compressor, level=level, workers=workers,
                               target_column=target_column, target_template=target_template))
    spec = TextSpec(text_column, template)
    sel = Selector(k, budget)
    in_memory = isinstance(dataset, datasets.Dataset)
    n = 0
    for batch in _batches(dataset, chunk_size):
        texts = _texts(batch, spec, n)
        scores = zf.scorer.alignment_block(texts)
        payloads: Any = range(n, n + batch.num_rows) if in_memory else _Rows(batch)
        sel.offer(scores, n, payloads, costs(texts) if costs is not None else None)
        n += batch.num_rows
    chosen: List[Tuple[int, float, Any]] = sel.result()
    index = np.array([i for i, _, _ in chosen], dtype=np.int64)
    score_ = np.array([s for _, s, _ in chosen], dtype=np.float64)
    if in_memory:
        out = dataset.select(index.tolist())
        out = out.remove_columns([c for c in (SCORE_COLUMN, INDEX_COLUMN) if c in out.column_names])
        return out.add_column(SCORE_COLUMN, score_).add_column(INDEX_COLUMN, index)
    rows = [{**{c: v for c, v in data.items() if c not in (SCORE_COLUMN, INDEX_COLUMN)},
             SCORE_COLUMN: float(s), INDEX_COLUMN: int(i)} for i, s, data in chosen]
    features = dataset.features
    if features is not None:
        features = datasets.Features({**{c: f for c, f in features.items()
                                         if c not in (SCORE_COLUMN, INDEX_COLUMN)},
                                      SCORE_COLUMN: datasets.Value("float64"),
                                      INDEX_COLUMN: datasets.Value("int64")})
    if not rows:
        empty = {c: [] for c in (features or {SCORE_COLUMN: None, INDEX_COLUMN: None})}
        return datasets.Dataset.from_dict(empty, features=features)
    return datasets.Dataset.from_list(rows, features=features)
