// msgpackr loads its native string extractor inside try/catch and uses its JavaScript path when
// the load fails; failing here selects that path on purpose.
throw new Error('msgpackr-extract is not installed (see vendor/msgpackr-extract-unavailable)');
