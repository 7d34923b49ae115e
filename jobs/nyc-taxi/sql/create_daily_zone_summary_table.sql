-- Registers the daily zone summary (Parquet) in the platform's Glue
-- database through Athena. Idempotent. table_suffix is empty in jobs and
-- _sandbox in JupyterHub, so interactive runs register their own table.
CREATE EXTERNAL TABLE IF NOT EXISTS `${glue_database}`.`nyc_taxi_daily_zone_summary${table_suffix}` (
  `pickup_date` date,
  `pickup_zone` string,
  `trips` bigint,
  `passengers` bigint,
  `total_distance_miles` decimal(12, 2),
  `avg_distance_miles` decimal(10, 2),
  `avg_duration_minutes` decimal(10, 1),
  `total_fares` decimal(12, 2),
  `total_tips` decimal(12, 2),
  `total_amount` decimal(12, 2),
  `card_share` decimal(5, 4)
)
STORED AS PARQUET
LOCATION '${table_location}'
