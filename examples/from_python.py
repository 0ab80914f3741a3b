# %% [markdown]
# # tematik from Python
#
# The whole chain on the bundled demo corpus, in Python: import transcripts, code them, read the theme
# frequencies as a pandas DataFrame, put the themes beside the questionnaire's factor scores, and write the
# report. Every call below is what a `tematik` command does (`p.freq(...)` is `tematik freq ...`); the tables
# are the rows of that command's `--format json`.
#
# Run it as a script (`python examples/from_python.py [FOLDER]`) or open it as a notebook: the `# %%` cells
# are Jupytext's percent format (VS Code, PyCharm and `jupytext --to notebook` read them).

# %%
import sys
import tempfile
from pathlib import Path

import tematik
from tematik.corpus import bundled_path, demo_corpus, read_manifest

folder = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else Path(tempfile.mkdtemp())
folder.mkdir(parents=True, exist_ok=True)
source = demo_corpus()  # corpora/ks-library: 27 transcripts and notes, a roster, a questionnaire

# %% [markdown]
# ## A project, and the transcripts in it
# `tematik.create` makes a new SQLite project file (`tematik.open` opens one). The roster comes first, so that
# the manifest's participants exist; the manifest says who speaks in each file and in which language.

# %%
p = tematik.create(folder / "study.db")
p.import_participants(source / "participants.csv")
imported = p.import_files(list(read_manifest(source / "manifest.csv")), manifest=source / "manifest.csv")
print(imported.added, "documents imported")
p.corpus_summary()

# %% [markdown]
# ## Coding
# Load the codebook, let the rules suggest codings, then decide: here every suggestion of *kinship* is accepted,
# those of *communication* in one observation are rejected, and one passage is coded by hand. In real work you read
# them first (`tematik review`, or `p.review_queue()` and `p.review_accept(id)` / `p.review_reject(id)`).

# %%
p.load_codebook(bundled_path("tematik.codebooks", "knowledge-sharing.yaml"))
result = p.autocode()
print(f"{result.stored} suggestions in {result.done} documents")

accepted = p.accept(code="kinship")
rejected = p.reject(code="communication", doc="observasi_01_apel_pagi")
by_hand = p.add_coding("wawancara_P01_sudarma", "trust", match="Saya tidak perlu cek lagi. Saya yakin sama dia.",
                       memo="trust shown as not checking a colleague's work")
print(f"accepted {accepted}, rejected {rejected}, coded by hand: {by_hand[0].text!r}")

# %% [markdown]
# ## Theme frequencies, as a DataFrame
# By default only the researcher's decisions count (accepted and manual codings). `status="all"` adds the
# unreviewed suggestions, and the table's caption says so.

# %%
freq = p.freq(status="all")
print(freq.attrs["caption"])
freq[["code", "name", "units", "documents", "participants", "participants_pct"]]

# %%
p.freq(by="source_type", status="all")  # the crosstab of `tematik freq --by source_type`

# %% [markdown]
# ## Triangulation
# The questionnaire's factor scores, then the joint display: each theme beside the factors it is linked to,
# with a convergence code (agreement, partial agreement, silence, dissonance) and the reason for it.

# %%
p.import_survey(source / "survey" / "responses.csv", source / "survey" / "instrument.yaml")
p.scores()[["factor", "name", "percent", "category"]]

# %%
display = p.triangulate(status="all", quotes=1)
joint = display.to_frame()
joint[["name", "participants_pct", "factors", "convergence"]]

# %% [markdown]
# ## The report
# HTML, Markdown, XLSX and DOCX with their charts, in one folder; `MANIFEST.json` is written last.

# %%
written = p.report(folder / "report", status="all")
for kind, path in written.items():
    print(f"{kind:8} {path}")
p.close()
