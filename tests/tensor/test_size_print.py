"""``t.size()`` and ``t.shape`` print as ``ct.Size`` (issue 17 item 5), and stay tuples."""
import contract as ct


def test_size_prints_as_ct_size():
    size = ct.zeros(3).size()
    assert repr(size) == "ct.Size([3])" and str(size) == "ct.Size([3])"
    assert repr(ct.zeros(2, 0, 4).shape) == "ct.Size([2, 0, 4])"
    assert repr(ct.tensor(1.0).shape) == "ct.Size([])"
    assert isinstance(size, ct.Size) and isinstance(size, tuple) and size == (3,)
    assert ct.zeros(2, 3).size().numel() == 6
