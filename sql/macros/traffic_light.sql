-- The traffic light of an on-track status, so the light and the arrow never contradict each other: green achieved
-- or on track, yellow moderately improving, orange stagnating or no new data, red decreasing; null without status.
create or replace temp macro traffic_light(on_track) as
case
    when on_track in ('achieved', 'on_track') then 'green'
    when on_track = 'moderately_improving' then 'yellow'
    when on_track in ('stagnating', 'no_new_data') then 'orange'
    when on_track = 'decreasing' then 'red'
end;
