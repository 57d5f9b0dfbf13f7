-- The admin's user listing: its default order (oldest first, then by id) reads this index instead
-- of sorting the whole table for every page.
create index "user_createdAt_id_idx" on "user" ("createdAt", "id");
