"""The project API for analysis: freq, cooccur, matrix, quotes, agree."""

from __future__ import annotations

from tematik.errors import InputError
from tematik.project._base import ProjectBase, log


class AnalysisMixin(ProjectBase):
    """Tables over the coded corpus; each returns a DataFrame with the columns of the command's --format json."""

    def _presence(self, unit: str, coder_list: list[str], code_list: list[str], statuses: tuple[str, ...]):
        """Presence data for agreement from the project's codings (``statuses`` counted), and a function that
        adds readable unit labels to a disagreements table. Units are computed first when missing."""
        from tematik import agreement as ag
        from tematik.store import agreement as store_agreement
        from tematik.store import coding as store_coding

        statuses = store_agreement.check_statuses(list(statuses))
        store = self.store
        coders = store_agreement.check_coders(store, coder_list) if coder_list else store_agreement.coders(store)
        codes = [store_coding.code_exists(store, c) for c in code_list] if code_list else \
            store_agreement.codes(store)
        if not codes:
            raise InputError("no codes in the project; load a codebook first (tematik codebook load FILE)",
                             field="--code")

        if unit == "char":
            intervals, seen, lengths = store_agreement.coding_intervals(self.store, coder_ids=coders, code_ids=codes,
                                                                        statuses=statuses)
            presence = ag.presence_from_intervals(intervals, lengths, codes=codes, seen=seen)
            names = store_agreement.document_names(self.store, list(lengths))

            def label_chars(frame):
                frame = frame.copy()
                frame["doc"] = [names.get(int(d), d) for d in frame["doc"]]
                return frame.rename(columns={"doc": "document"})

            return presence, label_chars

        if unit != "document":
            done = self._ensure_segments(unit)
            if done:
                log.info(f"split {done} document(s) into {unit}s")
        import pandas as pd

        rows = store_agreement.unit_rows(self.store, unit, coder_ids=coders, code_ids=codes, statuses=statuses)
        frame = pd.DataFrame(rows, columns=["unit", "coder", "code"])
        present = set(frame["coder"])
        presence = ag.presence_from_table(frame, coders=[c for c in coders if c in present], codes=codes)

        def label_units(frame):
            info = store_agreement.unit_labels(self.store, unit, frame["unit"].tolist())
            extra = pd.DataFrame([info.get(int(u), {}) for u in frame["unit"]],
                                 columns=["document", "seq", "start", "end", "text"])
            if unit == "document":
                extra = extra[["document"]]
            cols = ["code", "applied_by", "not_applied_by"]
            return pd.concat([extra, frame[cols].reset_index(drop=True)], axis=1)

        return presence, label_units


__all__ = ["AnalysisMixin"]
