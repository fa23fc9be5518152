"""Calendar feeds: expiry dates, renewal notice deadlines and due dates, as iCalendar."""
