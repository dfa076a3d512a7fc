-- The score of a status item's step 0..3 (未启动 .. 已完成) from the list of four step scores
-- (status_score_0..3 of seeds/scoring_parameters.csv).
create or replace temp macro status_step_score(step_scores, step) as
step_scores[cast(step as integer) + 1];
