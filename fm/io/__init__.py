"""Moving records between the database, frames and files."""
