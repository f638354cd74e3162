"""Raw protocol clients: send any bytes (legal or not), decode replies strictly, keep a transcript."""
