"""Decision tables and lookups read from a card or family: rows and entries with their positions, checked as they are read."""
from __future__ import annotations

from typing import Any

from . import nodes as n
from . import types as t
from .checker import AS_OF, BUILTIN_NAMES, SECTION_WORDS
from .errors import Position, RuleSyntaxError, SchemaError, TypeCheckError, aside, did_you_mean
from .model import DecisionTable, Expr, LookupTable, Rule, TableRow, Vocabulary
from .parser import parse
from .values import Duration
from .yamlsource import Document, expression_text


class TableReading:
    """The part of interpreter.loader.Loader that reads `tables:` and `lookups:` (a mixin: it uses the
    loader's errors, expressions and citations)."""

    def _tables_and_lookups(self, document: Document, default_document: str, vocabulary: Vocabulary,
                            rules: dict[str, Rule], tables: dict[str, DecisionTable],
                            lookups: dict[str, LookupTable]) -> None:
        """The tables of one card or family (each output a value among `rules`) and its lookups."""
        for table_id, spec in document.data.get("tables", {}).items():
            if self._reserved(document, ("tables", table_id), table_id):
                continue
            parsed = self._table(document, table_id, spec, default_document)
            if parsed is None:
                continue
            table, outputs = parsed
            if table_id in tables or table_id in lookups:
                self._twice(table_id, tables.get(table_id) or lookups[table_id], table.pos)
                continue
            tables[table_id] = table
            for rule in outputs:
                self._add_rule(rules, rule)
        for lookup_id, spec in document.data.get("lookups", {}).items():
            if self._reserved(document, ("lookups", lookup_id), lookup_id):
                continue
            lookup = self._lookup(document, lookup_id, spec, vocabulary, default_document)
            if lookup is None:
                continue
            if lookup_id in tables or lookup_id in lookups:
                self._twice(lookup_id, tables.get(lookup_id) or lookups[lookup_id], lookup.pos)
                continue
            lookups[lookup_id] = lookup

    def _reserved(self, document: Document, path: tuple, name: str) -> bool:
        """A table or lookup may not take a name that already means something before a '.' or on its own."""
        if name not in BUILTIN_NAMES and name not in SECTION_WORDS and name != AS_OF:
            return False
        meaning = BUILTIN_NAMES.get(name) or ("the evaluation's date" if name == AS_OF else
                                              f"the part '{SECTION_WORDS[name]}' of a card")
        self.errors.append(SchemaError(
            f"'{name}' cannot name a {path[0][:-1]}: it already means {meaning}", document.key_position(path),
            hint="give it a name of its own, e.g. shares or rates"))
        return True

    def _twice(self, name: str, first, pos: Position) -> None:
        self.errors.append(SchemaError(
            f"'{name}' is defined twice (first at {first.pos})", pos,
            hint="the names of rules, table outputs, tables and lookups must be unique across a card and its "
                 "family; rename one"))

    def _table(self, document: Document, table_id: str, spec: dict,
               default_document: str) -> tuple[DecisionTable, list[Rule]] | None:
        """A decision table as written, and one value rule per output column (an n.Decide expression)."""
        path = ("tables", table_id)
        before = len(self.errors)
        inputs = [(column, self._expr(document, path + ("inputs", column))) for column in spec["inputs"]]
        outputs = list(spec["outputs"].items())
        columns = [column for column, _ in inputs] + [column for column, _ in outputs]
        repeated = sorted(set(c for c in columns if columns.count(c) > 1))
        if repeated:
            self.errors.append(SchemaError(
                f"table '{table_id}' has an input and an output both named {', '.join(repeated)}",
                document.key_position(path + ("outputs", repeated[0])), hint="give every column its own name"))
        tests: list[tuple] = []
        cells: list[list] = [[] for _ in outputs]
        rows: list[TableRow] = []
        for index, row in enumerate(spec["rows"]):
            row_path = path + ("rows", index)
            if len(row) != len(columns):
                self.errors.append(SchemaError(
                    f"row {index + 1} of table '{table_id}' has {len(row)} cells, but the table has "
                    f"{len(columns)} columns ({', '.join(columns)})", document.position(row_path),
                    hint="write one cell per column: first the inputs, then the outputs, in the order they are "
                         "listed; '-' in an input column means any value"))
                continue
            row_tests = []
            for column, cell in enumerate(row[:len(inputs)]):
                if expression_text(cell).strip() == "-":
                    row_tests.append(None)
                else:
                    expr = self._expr(document, row_path + (column,))
                    row_tests.append(expr.node if expr else None)
            tests.append(tuple(row_tests))
            for k, cell in enumerate(row[len(inputs):]):
                expr = self._expr(document, row_path + (len(inputs) + k,))
                cells[k].append(expr.node if expr else None)
            rows.append(TableRow(document.position(row_path), tuple(expression_text(c) for c in row)))
        when = self._expr(document, path + ("when",)) if "when" in spec else None
        if len(self.errors) > before:
            return None
        citation = self._citation(document, spec.get("source"), default_document)
        table = DecisionTable(table_id, spec["label"], document.key_position(path), document.file,
                              tuple((column, expr) for column, expr in inputs), tuple(outputs), tuple(rows),
                              spec.get("hit", "unique"), citation)
        rules = []
        for k, (output, label) in enumerate(outputs):
            where = document.key_position(path + ("outputs", output))
            node = n.Decide(table_id, output, tuple(expr.node for _, expr in inputs), tuple(tests), tuple(cells[k]),
                            first=table.hit == "first", rows=tuple(row.pos for row in rows), pos=where)
            exprs = {"value": Expr(f"{table_id}.{output}", node, where)}
            if when is not None:
                exprs["when"] = when
            rules.append(Rule(output, "values", label, where, document.file, citation, exprs, table=table_id))
        return table, rules

    def _lookup(self, document: Document, lookup_id: str, spec: dict, vocabulary: Vocabulary,
                default_document: str) -> LookupTable | None:
        """A lookup with an entry for every member of its list of choices, each field of its type."""
        path = ("lookups", lookup_id)
        before = len(self.errors)
        enum = vocabulary.enums.get(spec["key"])
        if enum is None:
            self.errors.append(SchemaError(
                f"the key of lookup '{lookup_id}' names '{spec['key']}', which is not a list of choices"
                + aside(did_you_mean(spec["key"], vocabulary.enums)), document.position(path + ("key",)),
                hint="the lists of choices (enums in catalogue/facts.yaml) are: " + ", ".join(sorted(vocabulary.enums))))
            return None
        fields, labels = [], []
        for name, field_spec in spec["fields"].items():
            written = field_spec["type"]
            labels.append(field_spec["label"])
            type_ = t.parse_type(written, vocabulary.enums)
            if type_ is None or isinstance(type_, t.SetType):
                self.errors.append(SchemaError(
                    f"unknown type '{written}' for field '{name}' of lookup '{lookup_id}'",
                    document.position(path + ("fields", name, "type")),
                    hint="use one of: " + ", ".join(sorted(t.SIMPLE_TYPES) + sorted(vocabulary.enums))))
            else:
                fields.append((name, type_))
        entries = spec["entries"]
        missing = [member for member in enum.members if member not in entries]
        if missing:
            self.errors.append(SchemaError(
                f"lookup '{lookup_id}' has no entry for {', '.join(missing)}", document.key_position(path + ("entries",)),
                hint=f"a lookup needs an entry for every member of {enum.name}: {', '.join(enum.members)}"))
        for key in entries:
            if key not in enum.members:
                self.errors.append(SchemaError(
                    f"'{key}' in lookup '{lookup_id}' is not a {enum.name}" + aside(did_you_mean(key, enum.members)),
                    document.key_position(path + ("entries", key)),
                    hint=f"the members of {enum.name} are: {', '.join(enum.members)}"))
        if len(self.errors) > before:
            return None
        names = [name for name, _ in fields]
        rows = []
        for member in enum.members:
            entry_path = path + ("entries", member)
            entry = entries[member]
            for name in entry:
                if name not in names:
                    self.errors.append(SchemaError(
                        f"entry {member} of lookup '{lookup_id}' has a field '{name}' the lookup does not declare"
                        + aside(did_you_mean(name, names)), document.key_position(entry_path + (name,)),
                        hint="the fields of this lookup are: " + ", ".join(names)))
            values = []
            for name, type_ in fields:
                if name not in entry:
                    self.errors.append(SchemaError(
                        f"entry {member} of lookup '{lookup_id}' has no '{name}'", document.key_position(entry_path),
                        hint=f"give every entry a value for each field: {', '.join(names)}"))
                    continue
                values.append(self._lookup_value(document, entry_path + (name,), type_, vocabulary))
            rows.append((member, tuple(values)))
        if len(self.errors) > before:
            return None
        return LookupTable(lookup_id, spec["label"], document.key_position(path), document.file, enum.name,
                           tuple(fields), tuple(rows), self._citation(document, spec.get("source"), default_document),
                           tuple(labels))

    def _lookup_value(self, document: Document, path: tuple, type_: t.Type, vocabulary: Vocabulary) -> Any:
        """One fixed value of a lookup: a text as written, anything else a literal of the rule language."""
        raw = document.sub(path)
        if type_ == t.TEXT:
            if isinstance(raw, str):
                return raw
            # Unquoted, YAML reads 01 as the number 1 and yes as true: the text as written is gone.
            # (The schema has already refused an empty value, a list and a mapping.)
            read_as = "a yes/no" if isinstance(raw, bool) else "a number"
            self.errors.append(TypeCheckError(
                f"YAML reads this value as {read_as} ('{expression_text(raw)}'), not as a text",
                document.position(path), hint='write a text in quotes, exactly as it should read, e.g. "01" or "yes"'))
            return None
        text = expression_text(raw)
        try:
            node = parse(text, lambda offset: document.position(path, offset))
        except RuleSyntaxError:
            node = None  # not a value at all: said below as not being of the field's type
        literal = {n.NumberLit: t.NUMBER, n.MoneyLit: t.MONEY, n.PercentLit: t.PERCENT, n.DateLit: t.DATE,
                   n.DurationLit: t.DURATION, n.BoolLit: t.BOOL}.get(type(node))
        if literal == type_:
            return Duration(node.amount, node.unit) if isinstance(node, n.DurationLit) else node.value
        if isinstance(type_, t.EnumType) and isinstance(node, n.Name) and node.qualifier is None \
                and node.name in type_.members:
            return node.name
        self.errors.append(TypeCheckError(
            f"'{text.strip()}' is not {t.describe(type_)}", document.position(path),
            hint="a lookup holds fixed values of the field's type, such as €5000, 60%, 2016-04-01, 2 weeks, "
                 "true or a member of the list of choices; no calculations or names of facts"))
        return None
