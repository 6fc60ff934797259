"""Analytics: engine-portable (Ibis) definitions of every metric, score and detector."""
