"""Who people are (users), what they may change (roles), what they changed (audit), and the one way a single
record is changed (edits): the write paths every change goes through."""
