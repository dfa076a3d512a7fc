-- The score of a milestone status step 0..3 (未启动 .. 已完成) from the list of four step scores
-- (milestone_score_0..3 of seeds/scoring_parameters.csv).
create or replace temp macro milestone_step_score(step_scores, step) as
step_scores[cast(step as integer) + 1];
