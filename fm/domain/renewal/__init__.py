"""The 40-year renewal-cost projection, in the style of the ministry's method (総務省 公共施設等更新費用試算)."""
