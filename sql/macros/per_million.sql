-- A value per 1 million residents (the size-adjusted view); null without a positive population.
create or replace temp macro per_million(raw_value, population) as
case when population > 0 then raw_value / (population / 1e6) end;
