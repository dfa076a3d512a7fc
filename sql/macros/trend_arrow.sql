-- The arrow shown beside an on-track status: ↑ achieved or on track, ➚ moderately improving, → stagnating,
-- ↓ decreasing; null without a status.
create or replace temp macro trend_arrow(on_track) as
case
    when on_track in ('achieved', 'on_track') then '↑'
    when on_track = 'moderately_improving' then '➚'
    when on_track = 'stagnating' then '→'
    when on_track = 'decreasing' then '↓'
end;
