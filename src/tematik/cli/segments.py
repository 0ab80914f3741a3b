"""Make sure sentence/turn/paragraph units exist in the store before a command counts in them."""

from __future__ import annotations


def ensure_segments(store, unit: str) -> int:
    """Compute and store the units of every document that has none yet (spaCy is loaded only if needed).

    Returns how many documents were segmented.
    """
    from tematik.store import corpus as store_corpus

    missing = store_corpus.documents_without_segments(store, unit)
    if not missing:
        return 0
    from tematik import nlp
    from tematik.corpus import sha256
    from tematik.errors import DocumentChanged

    ids = store_corpus.document_ids_by_name(store)
    done = 0
    for doc in store_corpus.load_documents(store, missing):
        try:  # stored only if the document still has the text the units were computed from
            store_corpus.save_segments(store, ids[doc.name], unit, nlp.units(doc, unit), text_sha256=sha256(doc.text),
                                       name=doc.name)
        except DocumentChanged:
            continue  # re-imported by another process meanwhile: the next command computes its units
        done += 1
    return done
