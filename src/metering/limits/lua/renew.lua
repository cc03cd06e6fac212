-- Renews live leases so a long stream keeps its slot and what it holds of a budget. XX: a lease
-- that ended, or expired and was dropped meanwhile, is not brought back.
--
-- KEYS: stream lease sets and held sets. ARGV[1] new expiry (ms), ARGV[2] set TTL (ms),
-- ARGV[2 + i] the member (request id, or held member) whose lease in KEYS[i] is renewed.

for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', ARGV[1], ARGV[2 + i])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
end
return 1
