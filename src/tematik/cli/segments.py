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

    for doc_id, doc in zip(missing, store_corpus.load_documents(store, missing), strict=True):
        store_corpus.save_segments(store, doc_id, unit, nlp.units(doc, unit))
    return len(missing)
