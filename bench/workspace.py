"""The Slack workspace the benches seed into the Slack stand-in and sign requests for (each bench adds its own
members and channel). The benches' own: nothing here depends on how the tests name their workspace."""

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-hourcap-token"
TEAM = "T0HOURCAP"
