-- After the merge every contact has exactly one current version, and a
-- closed version always has valid_to set.
SELECT
  SUM(CASE WHEN current_versions <> 1 THEN 1 ELSE 0 END) = 0 AND SUM(open_closed) = 0 AS valid,
  TO_JSON(NAMED_STRUCT(
    'contacts', COUNT(*),
    'without_one_current_version', SUM(CASE WHEN current_versions <> 1 THEN 1 ELSE 0 END),
    'closed_without_valid_to', SUM(open_closed)
  )) AS message
FROM (
  SELECT
    contact_id,
    SUM(CASE WHEN is_current THEN 1 ELSE 0 END) AS current_versions,
    SUM(CASE WHEN NOT is_current AND valid_to IS NULL THEN 1 ELSE 0 END) AS open_closed
  FROM ${dimension_view}
  GROUP BY contact_id
) per_contact
