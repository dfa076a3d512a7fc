-- The on-track status of a progress ratio (achieved growth / growth needed, UNSD), against the thresholds
-- progress_on_track and progress_moderate of seeds/scoring_parameters.csv. Null ratio -> null.
create or replace temp macro progress_status(ratio, on_track_at, moderate_at) as
case
    when ratio >= on_track_at then 'on_track'
    when ratio >= moderate_at then 'moderately_improving'
    when ratio >= 0 then 'stagnating'
    when ratio < 0 then 'decreasing'
end;
