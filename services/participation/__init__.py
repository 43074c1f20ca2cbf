"""주민 참여: district votes and budget ballots, cast on the TV or by SMS.

- :mod:`services.participation.votes`: the console's workflow (draft ->
  approved -> open -> closed -> published), paper counts from booths, and the
  audit log of every step;
- :mod:`services.participation.ballots`: who may vote, casting, changing and
  checking a ballot with its receipt code, and the tally;
- :mod:`services.participation.register`: the back end's register at vote
  time (the voter's household mirrored again) and at publication (the
  electorate it counts).

Secrecy: the roll (``vote_roll``: who voted) and the ballot box
(``vote_ballots``: what was chosen) are written in one transaction but share
nothing but the vote's id. A ballot has a random id, no time, no voter; it
carries a keyed hash (HMAC with the PII key) of the receipt code only its
voter holds, so the voter can find, check and replace it, and the database
alone cannot.
"""
