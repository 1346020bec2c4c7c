"""The domain: plain, typed functions over (Geo)DataFrames, one package or module per area. No Flask, no
SQLAlchemy, no database: frames in, frames out."""
