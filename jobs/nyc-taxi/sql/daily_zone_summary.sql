-- Trips, distance and takings per day and pickup zone.
SELECT
  CAST(pickup_datetime AS DATE) AS pickup_date,
  pickup_zone,
  COUNT(*) AS trips,
  SUM(passenger_count) AS passengers,
  CAST(SUM(trip_distance) AS DECIMAL(12, 2)) AS total_distance_miles,
  CAST(AVG(trip_distance) AS DECIMAL(10, 2)) AS avg_distance_miles,
  CAST(AVG((UNIX_TIMESTAMP(dropoff_datetime) - UNIX_TIMESTAMP(pickup_datetime)) / 60.0) AS DECIMAL(10, 1)) AS avg_duration_minutes,
  CAST(SUM(fare_amount) AS DECIMAL(12, 2)) AS total_fares,
  CAST(SUM(tip_amount) AS DECIMAL(12, 2)) AS total_tips,
  CAST(SUM(total_amount) AS DECIMAL(12, 2)) AS total_amount,
  CAST(SUM(CASE WHEN payment_type = 'card' THEN 1 ELSE 0 END) / COUNT(*) AS DECIMAL(5, 4)) AS card_share
FROM ${trips_view}
WHERE SIZE(_errors) = 0
GROUP BY CAST(pickup_datetime AS DATE), pickup_zone
