-- The rows scd2_merge.sql merges into the contacts dimension.
-- New and changed contacts come once keyed by contact_id (merge_key): for a
-- changed contact that row matches the current version and closes it.
-- Changed contacts come a second time with a NULL merge_key, which matches
-- nothing, so the new version is inserted.
WITH changes AS (
  SELECT d.*
  FROM ${delta_view} d
  LEFT JOIN ${current_view} c
    ON c.contact_id = d.contact_id AND c.is_current
  WHERE c.contact_id IS NULL OR c.row_hash <> d.row_hash
)
SELECT ch.contact_id AS merge_key, ch.*
FROM changes ch
UNION ALL
SELECT CAST(NULL AS INT) AS merge_key, ch.*
FROM changes ch
JOIN ${current_view} c
  ON c.contact_id = ch.contact_id AND c.is_current
