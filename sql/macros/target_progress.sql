-- Progress of a value along the path from a city's baseline to a target: 0 at the baseline, 1 at the target
-- (uncapped). Direction 'lower' runs downwards. A target already met at the baseline keeps the value's ratio to
-- the target, so a city stays at or above 1 while it holds the target.
create or replace temp macro target_progress(path_value, baseline_value, target_value, direction) as
case
    when direction = 'lower' and target_value < baseline_value
        then (baseline_value - path_value) / (baseline_value - target_value)
    when direction = 'lower' and path_value <= target_value
        then 1 + coalesce((target_value - path_value) / nullif(target_value, 0), 0)
    when direction = 'lower' then target_value / path_value
    when target_value > baseline_value then (path_value - baseline_value) / (target_value - baseline_value)
    else path_value / target_value
end;
