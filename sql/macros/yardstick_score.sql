-- The score 0-100 of a value on its indicator's one yardstick (to 2025), by score basis: a status item's step,
-- the progress from the baseline to the 2025 target (capped at 1), or the treated value between the 2025
-- goalposts. The value in force, the baseline value, the anchor value and a milestone's target are all scored by
-- this one formula, so progress compares like with like.
create or replace temp macro yardstick_score(
    score_basis, scored_value, step_scores, baseline_value, target_2025, direction,
    treatment, treat_min, treat_max, goalpost_low, goalpost_high
) as
case
    -- nothing to score: null, never the score of a clamped null (greatest(null, 0) is 0 in DuckDB)
    when scored_value is null then null
    when score_basis = 'status' then status_step_score(step_scores, scored_value)
    when score_basis = 'target'
        then 100 * least(greatest(target_progress(scored_value, baseline_value, target_2025, direction), 0), 1)
    when score_basis = 'goalpost'
        then goalpost_score(
            treat_value(scored_value, treatment, treat_min, treat_max), goalpost_low, goalpost_high, direction
        )
end;
