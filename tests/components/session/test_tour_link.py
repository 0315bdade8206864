"""The Explainer's link readers: a day and a stop, or a plain-words refusal."""

from components.session.tour_link import read_day, read_stop


def test_a_day_is_a_real_date():
    assert read_day(" 2012-05-04 ").value == "2012-05-04"
    for bad in ("2012-02-30", "May 4", "2012-5-4", "<b>", "9" * 60):
        read = read_day(bad)
        assert read.value is None and "a day is a date written YYYY-MM-DD" in read.warning
        assert len(read.warning) < 140


def test_a_stop_is_a_whole_number_from_1():
    assert read_stop("5").value == 5
    for bad in ("0", "-1", "1.5", "x", "9" * 30):
        read = read_stop(bad)
        assert read.value is None and "a stop is a whole number from 1" in read.warning
