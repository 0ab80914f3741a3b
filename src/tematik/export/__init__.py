"""Turn tables and reports into files: csv, json, md, xlsx, html, charts. Never queries the database."""
