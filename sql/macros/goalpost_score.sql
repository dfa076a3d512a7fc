-- Score 0-100 of a value between fixed goalposts (min-max normalisation, the value clamped to the goalposts):
-- 100 at the 'good' goalpost, 0 at the other; direction 'lower' inverts. Used for the raw value, the value per
-- million residents and the baseline value, so the three are scored by one formula.
create or replace temp macro goalpost_score(goal_value, goalpost_low, goalpost_high, direction) as
case
    when direction = 'lower'
        then
            100 * (goalpost_high - least(greatest(goal_value, goalpost_low), goalpost_high))
            / (goalpost_high - goalpost_low)
    else
        100 * (least(greatest(goal_value, goalpost_low), goalpost_high) - goalpost_low)
        / (goalpost_high - goalpost_low)
end;
