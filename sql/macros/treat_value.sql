-- A value on the treated scale of its goalposts (int_goalposts.treatment): 'log' -> ln(x - treat_min + 1),
-- 'log_mirrored' (negative skew) -> -ln(treat_max - x + 1), otherwise the value itself. Both logs are increasing in
-- x, so the direction of the indicator is kept; values beyond the reference points clamp to them.
create or replace temp macro treat_value(raw_value, treatment, treat_min, treat_max) as
case
    when treatment = 'log' then ln(greatest(raw_value - treat_min, 0) + 1)
    when treatment = 'log_mirrored' then -ln(greatest(treat_max - raw_value, 0) + 1)
    else raw_value
end;
