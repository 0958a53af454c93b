"""plumbline_check — write a plumbline audit check in plain Python.

The Python twin of the Rust SDK (`plugins/sdk`). A check is a subclass of `Check`: it describes
itself (`info`, an `Info` built with `RuleSpec`s and parameters) and inspects the estate through
an `Audit` (`run`). `export(MyCheck)` turns it into the `plumbline:audit/check` export that
componentize-py looks for, so the check's module ends with

    Check = plumbline_check.export(MyCheck)

(componentize-py implements an exported interface with the class of the same name in the app
module: `check` → `Check`).

The generated bindings (`wit_world`, written by componentize-py from `wit/since_v0.1.0`) stay
behind this module: the estate's records are the generated dataclasses (snake_case fields,
`None` for an absent option, `(key, value)` tuples for key/value lists) and are re-exported
here, together with `Section`, `Severity` and `Status`. A section read that fails raises
`componentize_py_types.Err` in the bindings; `Audit` turns that into an empty list plus a
remembered state, so "could not read" never looks like "nothing there".

Not in here: anything about how the host collects, caches or reports — only the guest side.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable, Iterable, Sequence

# The sandbox has no file system, so the standard library cannot be read at run time: only modules
# imported while componentize-py pre-initialises the component (module top level) are there.
# These are imported here so a check may also import them lazily, inside a function.
import collections  # noqa: F401
import datetime  # noqa: F401
import fnmatch  # noqa: F401
import functools  # noqa: F401
import ipaddress  # noqa: F401
import itertools  # noqa: F401
import json  # noqa: F401
import math  # noqa: F401
import re  # noqa: F401
import textwrap  # noqa: F401
import urllib.parse  # noqa: F401

import wit_world.exports
from componentize_py_types import Err
from wit_world.imports import estate as _estate
from wit_world.imports import types as _types
from wit_world.imports.estate import (  # noqa: F401  (re-exported for checks)
    ConfigEntry,
    ConfigFile,
    KafkaCluster,
    KafkaConsumerGroup,
    KafkaTopic,
    PrometheusRule,
    PrometheusServer,
    RabbitmqBroker,
    RabbitmqQueue,
    RuleKind,
    SectionError_NotCollected,
    SectionError_NotDeclared,
    SectionError_Unavailable,
    Series,
    Signal,
    SnapshotInfo,
    SqsAccount,
    SqsQueue,
)

Section = _types.Section
Severity = _types.Severity
Status = _types.Status
Subject = _types.Subject

__all__ = [
    "Audit",
    "Check",
    "Info",
    "Params",
    "RuleSpec",
    "Section",
    "Severity",
    "Status",
    "Subject",
    "export",
]

# The section's contract name, as notes and messages spell it.
SECTION_NAMES = {
    Section.KAFKA: "kafka",
    Section.RABBITMQ: "rabbitmq",
    Section.SQS: "sqs",
    Section.POSTGRES: "postgres",
    Section.PROMETHEUS: "prometheus",
    Section.CONFIG_FILES: "config-files",
    Section.REGISTRY: "registry",
}


# ------------------------------------------------------------------------------------ describe


class RuleSpec:
    """One rule of a check. `id` is `<check-id>/<rule>`."""

    def __init__(
        self,
        id: str,
        severity: Severity,
        title: str,
        *,
        description: str = "",
        remediation: str = "",
        references: Sequence[str] = (),
    ) -> None:
        self._rule = _types.Rule(
            id=id,
            title=title,
            default_severity=severity,
            description=description,
            remediation=remediation,
            references=list(references),
        )

    @property
    def id(self) -> str:
        return self._rule.id

    @property
    def severity(self) -> Severity:
        return self._rule.default_severity


def _param_value(value: Any) -> _types.ParamValue:
    # bool before int: True is an int in Python.
    if isinstance(value, bool):
        return _types.ParamValue_Boolean(value)
    if isinstance(value, int):
        return _types.ParamValue_Integer(value)
    if isinstance(value, float):
        return _types.ParamValue_Float(value)
    if isinstance(value, str):
        return _types.ParamValue_Text(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return _types.ParamValue_TextList(list(value))
    raise TypeError(f"parameter default {value!r} is not an int, float, bool, str or list of str")


class Info:
    """A check's description: id, question, sections read, rules and parameters.

    Build it with the chained methods; it must not depend on the estate (the host calls
    `describe` with an empty snapshot for `plumbline checks list/show`).
    """

    def __init__(self, id: str, title: str, question: str, *, version: str = "0.1.0") -> None:
        self._info = _types.CheckInfo(
            id=id, version=version, title=title, question=question, sections=[], rules=[], params=[]
        )

    def version(self, version: str) -> Info:
        """The check's own version (semver); defaults to `0.1.0`."""
        self._info.version = version
        return self

    def reads(self, *sections: Section) -> Info:
        """Declares sections `run` reads. Reads of undeclared sections are refused by the host."""
        for section in sections:
            if section not in self._info.sections:
                self._info.sections.append(section)
        return self

    def rule(self, rule: RuleSpec) -> Info:
        self._info.rules.append(rule._rule)
        return self

    def param(self, name: str, default: Any, description: str) -> Info:
        """Declares a tunable parameter: its default is an int, float, bool, str or list of str."""
        self._info.params.append(_types.ParamSpec(name=name, description=description, default=_param_value(default)))
        return self

    @property
    def id(self) -> str:
        return self._info.id

    def default_severity(self, rule: str) -> Severity:
        # An undeclared rule id is a bug in the check; the host rejects the finding and says so.
        for r in self._info.rules:
            if r.id == rule:
                return r.default_severity
        return Severity.HIGH

    def to_check_info(self) -> _types.CheckInfo:
        return self._info


# ------------------------------------------------------------------------------------ params


class Params:
    """The parameters of one run: the declared defaults, overridden by what the host passed.

    The typed getters raise `KeyError`/`TypeError` on a name the check never declared or on the
    wrong type: a bug in the check, which ends it in `error` (the host quotes the traceback).
    """

    def __init__(self, info: Info, given: Iterable[_types.Param]) -> None:
        self._values: dict[str, _types.ParamValue] = {p.name: p.default for p in info.to_check_info().params}
        for param in given:
            self._values[param.name] = param.value

    def get(self, name: str) -> _types.ParamValue | None:
        return self._values.get(name)

    def _typed(self, name: str, *kinds: type) -> Any:
        if name not in self._values:
            raise KeyError(f"parameter `{name}` was never declared")
        value = self._values[name]
        if not isinstance(value, kinds):
            raise TypeError(f"parameter `{name}` is {type(value).__name__}, not {' or '.join(k.__name__ for k in kinds)}")
        return value.value

    def i64(self, name: str) -> int:
        """An integer (a float value is truncated, as in the Rust SDK)."""
        return int(self._typed(name, _types.ParamValue_Integer, _types.ParamValue_Float))

    def f64(self, name: str) -> float:
        """A number; an integer is accepted."""
        return float(self._typed(name, _types.ParamValue_Float, _types.ParamValue_Integer))

    def bool(self, name: str) -> bool:
        return self._typed(name, _types.ParamValue_Boolean)

    def text(self, name: str) -> str:
        return self._typed(name, _types.ParamValue_Text)

    def list(self, name: str) -> list[str]:
        return list(self._typed(name, _types.ParamValue_TextList))


# ------------------------------------------------------------------------------------ audit

# What `Audit.section_state` answers.
NOT_READ = "not-read"
AVAILABLE = "available"
NOT_COLLECTED = "not-collected"
UNAVAILABLE = "unavailable"
NOT_DECLARED = "not-declared"


def _state_of(error: Any) -> str:
    if error is None:
        return AVAILABLE
    if isinstance(error, SectionError_NotCollected):
        return NOT_COLLECTED
    if isinstance(error, SectionError_Unavailable):
        return UNAVAILABLE
    return NOT_DECLARED


class Audit:
    """The working state of one run: section reads (remembering which failed), parameters, the
    count of evaluated resources, findings and notes."""

    def __init__(self, info: Info, params: Params) -> None:
        self._info = info
        self.params = params
        self._reads: list[tuple[Section, Any]] = []
        self._evaluated = 0
        self.findings: list[_types.Finding] = []
        self.notes: list[str] = []

    # -- reads

    def snapshot(self) -> SnapshotInfo:
        """Snapshot metadata: collection time ("now" for the check), window, sources."""
        return _estate.info()

    def kafka(self) -> list[KafkaCluster]:
        """Kafka clusters; empty when not collected or unavailable (which is remembered)."""
        return self._read(Section.KAFKA, _estate.kafka)

    def rabbitmq(self) -> list[RabbitmqBroker]:
        return self._read(Section.RABBITMQ, _estate.rabbitmq)

    def sqs(self) -> list[SqsAccount]:
        return self._read(Section.SQS, _estate.sqs)

    def postgres(self) -> list[Any]:
        return self._read(Section.POSTGRES, _estate.postgres)

    def prometheus(self) -> list[PrometheusServer]:
        return self._read(Section.PROMETHEUS, _estate.prometheus)

    def config_files(self) -> list[ConfigFile]:
        return self._read(Section.CONFIG_FILES, _estate.config_files)

    def registry(self) -> list[Any]:
        return self._read(Section.REGISTRY, _estate.registry)

    def _read(self, section: Section, read: Callable[[], list[Any]]) -> list[Any]:
        try:
            items = read()
        except Err as err:
            self._reads.append((section, err.value))
            return []
        self._reads.append((section, None))
        return items

    def section_state(self, section: Section) -> str:
        """`NOT_READ`, `AVAILABLE` (it may still be an empty list), `NOT_COLLECTED`,
        `UNAVAILABLE` or `NOT_DECLARED`, from the first read of `section`."""
        for s, error in self._reads:
            if s == section:
                return _state_of(error)
        return NOT_READ

    def is_available(self, section: Section) -> bool:
        return self.section_state(section) == AVAILABLE

    # -- results

    def evaluated(self, count: int = 1) -> None:
        """Counts resources the check looked at (for the report, and to tell pass from skip)."""
        self._evaluated = min(self._evaluated + count, 2**32 - 1)

    def finding(
        self, rule: str, subject: Subject, message: str, evidence: Iterable[tuple[Any, Any]] = ()
    ) -> None:
        """Records a finding for `rule` at its default severity. `evidence` is (key, value)
        facts: the measured figure, the threshold, the key. Values are turned into text."""
        self.finding_with_severity(rule, self._info.default_severity(rule), subject, message, evidence)

    def finding_with_severity(
        self,
        rule: str,
        severity: Severity,
        subject: Subject,
        message: str,
        evidence: Iterable[tuple[Any, Any]] = (),
    ) -> None:
        """Records a finding at an explicit severity (say why in the message)."""
        pairs = [(str(k), text(v)) for k, v in evidence]
        self.findings.append(
            _types.Finding(rule=rule, severity=severity, subject=subject, message=message, evidence=pairs)
        )

    def note(self, text: str) -> None:
        """Adds a remark for the report."""
        self.notes.append(text)

    def default_status(self) -> Status:
        """not-declared read → error; findings → fail; unavailable section → inconclusive;
        nothing evaluated → skip; otherwise pass."""
        states = [_state_of(e) for _, e in self._reads]
        if NOT_DECLARED in states:
            return Status.ERROR
        if self.findings:
            return Status.FAIL
        if UNAVAILABLE in states:
            return Status.INCONCLUSIVE
        if self._evaluated == 0:
            return Status.SKIP
        return Status.PASS

    def into_verdict(self, status: Status) -> _types.Verdict:
        notes = list(self.notes)
        for section, error in self._reads:
            name = SECTION_NAMES[section]
            if isinstance(error, SectionError_NotCollected):
                notes.append(f"{name}: not collected, nothing of this kind to audit")
            elif isinstance(error, SectionError_Unavailable):
                notes.append(f"{name}: unavailable ({error.value})")
            elif isinstance(error, SectionError_NotDeclared):
                notes.append(f"{name}: read without being declared")
        return _types.Verdict(status=status, evaluated=self._evaluated, findings=self.findings, notes=notes)


def subject(source: str, kind: str, id: str) -> Subject:
    """What a finding is about: `source` is the configured source, `kind` the resource kind
    (`queue`, `consumer`, `config-key`, ...), `id` unique within both."""
    return Subject(source=source, kind=kind, id=id)


# ------------------------------------------------------------------------------------ check


class Check:
    """One audit check. Implement `info` and `run`; the defaults do the rest."""

    @classmethod
    def info(cls) -> Info:
        """Id, title, question, sections, rules and parameters. Must not depend on the estate."""
        raise NotImplementedError(f"{cls.__name__}.info")

    def run(self, audit: Audit) -> None:
        """Inspect the estate and record findings on `audit`."""
        raise NotImplementedError(f"{type(self).__name__}.run")

    def conclude(self, audit: Audit) -> Status:
        """The verdict's status; keep the default (`Audit.default_status`) unless you must."""
        return audit.default_status()


def run_check(check: type[Check], params: Iterable[_types.Param]) -> _types.Verdict:
    """Runs `check` against the host's estate with the given parameters.

    An exception in the check (a bug: wrong parameter name, a `None` where a value was assumed)
    becomes an `error` verdict with no findings and a note naming the exception and where it was
    raised, instead of a bare trap; the full traceback goes to stderr (`plumbline -vv`)."""
    info = check.info()
    audit = Audit(info, Params(info, params))
    instance = check()
    try:
        instance.run(audit)
        status = instance.conclude(audit)
    except Exception as exc:  # noqa: BLE001 — every bug in a check ends the same way: in `error`
        traceback.print_exc()
        where = _where(exc)
        return _types.Verdict(
            status=Status.ERROR,
            evaluated=0,
            findings=[],
            notes=[f"check raised {type(exc).__name__}: {exc} ({where})"],
        )
    return audit.into_verdict(status)


def _where(exc: BaseException) -> str:
    """`file:line in function` of the innermost frame of the check's own code that raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not f.filename.endswith("plumbline_check.py")]
    frame = (own or frames)[-1]
    # componentize-py loads the app from a numbered directory (`/0/pkg/mod.py`): drop it.
    path = re.sub(r"^/[0-9]+/", "", frame.filename)
    return f"{path}:{frame.lineno} in {frame.name}"


def export(check: type[Check]) -> type:
    """The class componentize-py exports as `plumbline:audit/check`: bind it to the name
    `Check` in the app module (`Check = export(MyCheck)`)."""

    class _Export(wit_world.exports.Check):
        def describe(self) -> _types.CheckInfo:
            return check.info().to_check_info()

        def run(self, params: list[_types.Param]) -> _types.Verdict:
            return run_check(check, params)

    _Export.__name__ = _Export.__qualname__ = f"{check.__name__}Export"
    return _Export


# ------------------------------------------------------------------------------------ helpers
# Small conveniences on the contract's records, the same as `plumbline_sdk::helpers`.

# Default name patterns of dead-letter queues and topics.
DEAD_LETTER_PATTERNS = ["*.dlq", "*-dlq", "*_dlq", "*.dlt", "*-dlt", "*dead-letter*", "*deadletter*", "*.dead"]


def text(value: Any) -> str:
    """A value as evidence text: booleans `true`/`false`, whole floats without `.0`, like Rust."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pair(pairs: Sequence[tuple[str, str]], key: str) -> str | None:
    """Value of `key` in a key/value list (`arguments`, `configs`, `definition`, `labels`)."""
    for k, v in pairs:
        if k == key:
            return v
    return None


def glob(pattern: str, name: str) -> bool:
    """Case-insensitive (ASCII) match where `*` stands for any run of characters."""
    p, t = pattern.encode(), name.encode()
    # Iterative wildcard matching with backtracking to the last `*`.
    pi = ti = 0
    star, mark = -1, 0
    while ti < len(t):
        if pi < len(p) and p[pi] != ord("*") and _eq_ascii(p[pi], t[ti]):
            pi += 1
            ti += 1
        elif pi < len(p) and p[pi] == ord("*"):
            star, mark = pi, ti
            pi += 1
        elif star >= 0:
            pi, mark = star + 1, mark + 1
            ti = mark
        else:
            return False
    while pi < len(p) and p[pi] == ord("*"):
        pi += 1
    return pi == len(p)


def _eq_ascii(a: int, b: int) -> bool:
    return (a + 32 if 65 <= a <= 90 else a) == (b + 32 if 65 <= b <= 90 else b)


def glob_any(patterns: Iterable[str], name: str) -> bool:
    """True when `name` matches any of `patterns` (see `glob`)."""
    return any(glob(p, name) for p in patterns)


def queue_path(queue: RabbitmqQueue) -> str:
    """`vhost/name` with a single slash, e.g. `/orders/payments.in`."""
    return f"{queue.vhost.rstrip('/')}/{queue.name}"


def queue_setting(queue: RabbitmqQueue, argument: str) -> str | None:
    """An `x-` argument, or the same setting from the effective policy (`x-dead-letter-exchange`
    ↔ `dead-letter-exchange`)."""
    value = pair(queue.arguments, argument)
    if value is not None:
        return value
    return pair(queue.effective_policy, argument.removeprefix("x-"))


def queue_depth(queue: RabbitmqQueue) -> int:
    return queue.messages_ready + queue.messages_unacknowledged


def file_owner(file: ConfigFile) -> str:
    """The service a config file configures, or its path when unknown."""
    return file.service if file.service is not None else file.path


def entry_bool(entry: ConfigEntry) -> bool | None:
    """The value as a boolean (`true`/`false`, any case), if it is one."""
    return {"true": True, "false": False}.get(entry.value.strip().lower())


def entry_number(entry: ConfigEntry) -> float | None:
    """The value as a number, if it is one (`${RETRIES}` and friends are not)."""
    raw = entry.value.strip()
    if not raw or "_" in raw:  # Python accepts `1_000`; Rust's parser (and the host) do not
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def entry_evidence(file: ConfigFile, entry: ConfigEntry) -> list[tuple[str, str]]:
    """Evidence pairs naming where the entry is: file, line, key and value."""
    return [("file", file.path), ("line", str(entry.line)), ("key", entry.key), ("value", entry.value)]


def signal(server: PrometheusServer, name: str) -> Signal | None:
    """The configured query called `name`, if it was collected."""
    return next((s for s in server.signals if s.name == name), None)


def series_last(series: Series) -> float | None:
    """The newest sample's value."""
    return series.samples[-1].value if series.samples else None


def label_text(series: Series) -> str:
    """`key=value` pairs joined with commas, for messages and ids."""
    return ",".join(f"{k}={v}" for k, v in series.labels)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(value: str) -> str:
    """Lowercases ASCII letters only (Rust's `to_ascii_lowercase`): lengths and indexes stay."""
    return value.translate(_ASCII_LOWER)
