-- Until now `terminals.paused` was set for every terminal by the emergency stop, whose state
-- lived in Redis. The stop now lives in emergency_stop and `paused` means an operator paused
-- that one terminal; a flag left by an old stop must not turn into such a pause.
UPDATE terminals SET paused = false WHERE paused;
