-- The traffic light of a score against the thresholds light_green, light_yellow and light_orange of
-- seeds/scoring_parameters.csv; a null score gets null (callers decide what 'no score' shows).
create or replace temp macro traffic_light(light_score, green_at, yellow_at, orange_at) as
case
    when light_score >= green_at then 'green'
    when light_score >= yellow_at then 'yellow'
    when light_score >= orange_at then 'orange'
    when light_score is not null then 'red'
end;
